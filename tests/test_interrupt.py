"""Ctrl-C ends a command with one line and exit status 130, never a traceback, and what the
command was writing is not left half-written. The interrupt comes at a fixed point: the
terminal prompt of `seal` (the test waits for the prompt's text, then presses Ctrl-C)."""

from __future__ import annotations

import os
import signal
import sys

import pexpect

from tests.support.project import PROJECT_ROOT, tree_state
from tests.support.seal_repo import cert, repo  # noqa: F401 - the fixtures: a repository with apps, a certificate


def test_ctrl_c_at_a_prompt_is_one_line_and_exit_130(repo, cert):  # noqa: F811
    before = tree_state(repo)
    # Ctrl-C as a terminal delivers it: a job started in the background of a shell (as CI
    # may run the tests) inherits SIGINT ignored, which a user's terminal never does.
    child = pexpect.spawn(sys.executable, ["-m", "flux_cookbook", "seal", "web", "db", "--cert", str(cert)],
                          cwd=str(repo), env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, encoding="utf-8", timeout=60,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    child.expect("Secret key: ")
    child.sendline("password")
    child.expect(r"Value of password \(not shown\): ")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    output = child.before
    assert child.exitstatus == 130, output
    assert "flux-cookbook: interrupted" in output and "Traceback" not in output and "KeyboardInterrupt" not in output
    assert tree_state(repo) == before
