"""Throwaway folders a run killed outright left are removed by the next (repository/scratch_folders.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

from flux_cookbook.repository import scratch_folders


def test_a_dead_runs_folder_goes_a_live_runs_and_other_names_stay(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # tempfile's documented default folder
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                           check=True).stdout.strip()  # a process that is gone
    left = tmp_path / f"flux-build-{ended}-abc"
    (left / "artifact").mkdir(parents=True)
    (left / "artifact/file.yaml").write_text("a: 1\n")
    live = tmp_path / f"flux-build-{os.getppid()}-def"  # this test's parent: alive
    live.mkdir()
    other = tmp_path / f"flux-cookbook-staged.{ended}-ghi"  # another kind: its own runs sweep it
    other.mkdir()
    with scratch_folders.folder("flux-build-") as made:
        assert made.parent == tmp_path and made.name.startswith(f"flux-build-{os.getpid()}-")
        assert not left.exists() and live.is_dir() and other.is_dir()
    assert not made.exists()
