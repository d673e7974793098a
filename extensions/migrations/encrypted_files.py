"""After every update: a SOPS-encrypted file stays exactly as the user committed it.

SOPS signs the whole file: its `sops.mac` covers every value, the ones left in plain text
too (unless the file was encrypted with `mac_only_encrypted`). Whatever copier's merge
changes in such a file (a new apiVersion, a key the release adds, another indentation)
makes kustomize-controller's decryption fail with a MAC mismatch, and the Kustomization
that applies it stops. The version migrations already leave these files alone
(flux_api: "SOPS-encrypted; left as it is"); copier's own merge does not know them, so a
file that HEAD holds encrypted and the update changed is put back as HEAD has it (a
conflict in it included), and named: the user decrypts it, makes the release's change and
encrypts it again. A file the update moved or removed is left to the step that did it.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .. import bounded_yaml
from .flux_api import is_sops_document
from .git_repo import changed_since_head, committed_text, git

ADVICE = "decrypt it, make the change the release makes to it, and encrypt it again"


def changed(repo: Path) -> list[str]:
    """The files HEAD holds SOPS-encrypted that the update changed (and did not remove)."""
    return [path for path in changed_since_head(repo)
            if (repo / path).is_file() and is_sops_encrypted(committed_text(repo, path))]


def after(repo: Path, answers_file: str = "") -> None:
    for path in changed(repo):
        git(repo, "checkout", "HEAD", "--", path)  # the index too: a conflict in it is gone
        print(f"  {path}: SOPS-encrypted, so the update left it as it was; {ADVICE}")


def is_sops_encrypted(text: str | None) -> bool:
    """Whether a YAML document of `text` carries SOPS's metadata (a `sops` mapping with its MAC)."""
    if not text or "sops:" not in text:
        return False
    try:
        documents = bounded_yaml.load_all(text)
    except yaml.YAMLError:
        return False
    return any(is_sops_document(document) for document in documents)
