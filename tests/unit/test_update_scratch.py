"""Where update-all keeps its throwaway files (flux_cookbook/update/scratch.py)."""

from __future__ import annotations

import os

from flux_cookbook.update import scratch
from tests.support.project import repo_with


def test_a_folder_with_room_is_used_and_one_without_is_not(tmp_path):
    free = os.statvfs(tmp_path).f_bavail * os.statvfs(tmp_path).f_frsize
    assert free > scratch.ROOM, "the test needs the room it asks of its own folder"
    assert scratch.in_memory(needed=0, shm=tmp_path) == tmp_path
    assert scratch.in_memory(needed=free, shm=tmp_path) is None  # ROOM would no longer be free
    assert scratch.in_memory(needed=0, shm=tmp_path / "missing") is None
    (tmp_path / "a-file").write_text("")
    assert scratch.in_memory(needed=0, shm=tmp_path / "a-file") is None


def test_checkout_bytes_counts_heads_files(tmp_path):
    repo = repo_with(tmp_path / "repo", {"a.yaml": "x" * 1000, "app/b.yaml": "y" * 234})
    (repo / "untracked.yaml").write_text("z" * 5000)
    assert scratch.checkout_bytes(repo) == 1234


def test_the_run_folder_goes_to_memory_unless_tmpdir_is_set(tmp_path):
    repo = repo_with(tmp_path / "repo", {"a.yaml": "x"})
    memory = tmp_path / "shm"
    memory.mkdir()
    made = scratch.folder(repo, 2, prefix="run.", environ={}, shm=memory)
    assert made.parent == memory and made.name.startswith("run.") and made.is_dir()
    kept = scratch.folder(repo, 2, prefix="run.", environ={"TMPDIR": "/somewhere"}, shm=memory)
    assert kept.parent != memory and kept.is_dir()  # the process's own temporary folder
    assert scratch.folder(repo, 2, prefix="run.", environ={}, shm=tmp_path / "missing").parent != memory
