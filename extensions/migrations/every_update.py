"""What runs on every `copier update`, whatever the releases (copier.yml's `_migrations`).

before: an app adopted one folder down is put where its old release rendered it
        (apps_folder), so that copier merges it in place.
after:  it is put back under its apps folder; a SOPS-encrypted file the update changed is
        put back as committed (encrypted_files), and so is a values ConfigMap it gave the
        placeholder of values it could not read (values_kept); a Namespace or HelmRepository file the
        update wrote again, whose object the user declares elsewhere, is removed, and a
        Namespace file it deleted that something still goes into is put back
        (shared_files); an app's OCIRepository file the cluster's update wrote from the
        user's files is kept as written where the update added it too, and a
        HelmRepository file it deleted that something still uses or lists is put back
        (v3_0_0); then conflicts in which the user already has the release's
        changes are settled (from the old render as 3.1.0's step leaves it: v3_1_0.as_stepped;
        values_kept again after them, for a file they merged line by line),
        and the .rej files of `--conflict rej` named (settle_conflicts); a file committed in
        CRLF is written in CRLF again (line_ends_kept); a key the merge left twice in one
        mapping is named (doubled_keys).
"""

from __future__ import annotations

from pathlib import Path

from . import apps_folder, doubled_keys, encrypted_files, line_ends_kept, settle_conflicts, shared_files, v3_0_0, v3_1_0, values_kept


def before(repo: Path, answers_file: str = "") -> None:
    apps_folder.before(repo, answers_file)


def after(repo: Path, answers_file: str = "") -> None:
    apps_folder.after(repo, answers_file)
    encrypted_files.after(repo, answers_file)
    values_kept.after(repo, answers_file)
    # An app's update that moves it to an OCIRepository adds the file the cluster's update
    # wrote from the user's HelmRepository (kept as written, with what the answers this
    # update changed write: before the Namespace files are judged by who uses them), and
    # deletes that HelmRepository's file, as 3.0.0's step does (kept where something still
    # uses or lists it).
    v3_0_0.keep_added_oci_repositories(repo, answers_file)
    shared_files.after(repo, answers_file)
    v3_0_0.restore_used_helm_repositories(repo)
    settle_conflicts.after(repo, v3_1_0.as_stepped(repo, answers_file))
    # A file saved in CRLF conflicted whole, so its values were judged above in a conflict;
    # settled line by line from the renders, it holds the placeholder the new one had.
    values_kept.after(repo, answers_file)
    settle_conflicts.name_rejected(repo)
    line_ends_kept.after(repo)
    doubled_keys.after(repo)
