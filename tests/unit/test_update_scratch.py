"""Where update-all keeps its throwaway files (flux_cookbook/update/scratch.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from flux_cookbook.update import scratch
from tests.support.project import repo_with

GIB = 1 << 30


@pytest.fixture()
def memory(tmp_path):
    """A folder standing for /dev/shm, with room for a run (skipped where the test's own
    folder has none), and no memory figures to read unless a test writes them."""
    stats = os.statvfs(tmp_path)
    if stats.f_bavail * stats.f_frsize < scratch.ROOM + GIB or stats.f_flag & os.ST_NOEXEC:
        pytest.skip("the test's folder has no room for a run, or runs no programs")
    folder = tmp_path / "shm"
    folder.mkdir()
    return folder


def in_memory(folder, needed=0, meminfo="", cgroup_max=None, cgroup_current="0"):
    """scratch.in_memory with the machine's memory figures as written here."""
    (folder.parent / "meminfo").write_text(meminfo)
    cgroup = folder.parent / "cgroup"
    cgroup.mkdir(exist_ok=True)
    for name, value in (("memory.max", cgroup_max), ("memory.current", cgroup_current)):
        (cgroup / name).unlink(missing_ok=True)
        if value is not None:
            (cgroup / name).write_text(value + "\n")
    return scratch.in_memory(needed, shm=folder, meminfo=folder.parent / "meminfo", cgroup=cgroup)


def test_a_folder_with_room_is_used_and_one_without_is_not(memory):
    free = os.statvfs(memory).f_bavail * os.statvfs(memory).f_frsize
    assert in_memory(memory) == memory
    assert in_memory(memory, needed=free) is None  # ROOM would no longer be free
    assert in_memory(memory.parent / "missing") is None
    (memory.parent / "a-file").write_text("")
    assert in_memory(memory.parent / "a-file") is None


def test_memory_the_machine_or_its_container_lacks_keeps_the_files_on_disk(memory):
    assert in_memory(memory, meminfo=f"MemTotal: 1 kB\nMemAvailable: {3 * GIB // 1024} kB\n") == memory
    assert in_memory(memory, needed=GIB, meminfo=f"MemAvailable: {GIB // 1024} kB\n") is None
    # A container limited to 2 GiB with 1.5 GiB used, on a machine with plenty.
    plenty = f"MemAvailable: {64 * GIB // 1024} kB\n"
    assert in_memory(memory, meminfo=plenty, cgroup_max=str(2 * GIB), cgroup_current=str(GIB + GIB // 2)) is None
    assert in_memory(memory, meminfo=plenty, cgroup_max="max") == memory
    assert scratch.memory_available(memory / "none", memory / "none") is None


def test_checkout_bytes_counts_heads_files(tmp_path):
    repo = repo_with(tmp_path / "repo", {"a.yaml": "x" * 1000, "app/b.yaml": "y" * 234})
    (repo / "untracked.yaml").write_text("z" * 5000)
    assert scratch.checkout_bytes(repo) == 1234


def test_the_run_folder_goes_to_memory_unless_tmpdir_is_set(memory, tmp_path):
    repo = repo_with(tmp_path / "repo", {"a.yaml": "x"})
    system = Path(tempfile.gettempdir())  # where the process puts its temporary files
    made = [scratch.folder(repo, 2, prefix="run.", environ=environ, shm=shm) for environ, shm in (
        ({}, memory), ({"TMPDIR": "/somewhere"}, memory), ({"TMPDIR": ""}, memory), ({}, tmp_path / "missing"))]
    try:
        assert all(folder.is_dir() and folder.name.startswith("run.") for folder in made)
        assert [folder.parent for folder in made] == [memory, system, memory, system]
    finally:
        for folder in made:
            shutil.rmtree(folder)
