"""A SOPS-encrypted file stays as committed (extensions/migrations/encrypted_files.py)."""

from __future__ import annotations

from flux_cookbook.extensions.migrations import encrypted_files
from tests.support.project import repo_with
from tests.support.template_repo import git

SECRET = "web/secret.yaml"
ENCRYPTED = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nsops:\n  mac: ENC[AES256_GCM,data:bWFj]\n"


def test_an_encrypted_file_the_update_changed_goes_back_in_a_folder_of_a_larger_repository(tmp_path):
    top = repo_with(tmp_path / "top", {f"cluster/{SECRET}": ENCRYPTED})
    cluster = top / "cluster"
    (cluster / SECRET).write_text(ENCRYPTED.replace("name: db", "name: db\n  labels: {a: b}"))
    assert encrypted_files.changed(cluster) == [SECRET]
    encrypted_files.after(cluster)
    assert (cluster / SECRET).read_text() == ENCRYPTED and git(top, "status", "--porcelain") == ""
