"""How a command is stopped: SIGINT (Ctrl-C) and SIGTERM (a scheduler ending a job) raise
`Interrupted` where the command is, so that its own `finally`s and `except BaseException`s
take back what it wrote, as they do for any error; `flux-cookbook` then prints one line and
exits 128 + the signal's number (130, 143), as a shell reports a signal.

`Interrupted` is a BaseException, as KeyboardInterrupt is: an `except Exception` that turns
a library's error into a message must not turn a stop into one.

Tests stop a command at a fixed point: FLUX_COOKBOOK_SIGNAL_AT=<point>:<SIGNAL>[:<N>] makes
the command send itself SIGNAL when it reaches `checkpoint(<point>)` (the Nth time it does,
1 unless given) (update-all's points are
listed in update/interruption.py; `add`, `new` and `values refresh` have "app-copied",
"cluster-copied" and "values-written", right after they write; `values refresh` also
"values-planned", once it has planned every app and before it writes).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator

HOOK = "FLUX_COOKBOOK_SIGNAL_AT"
# A worker of update-all's stops update-all (its parent) there, and waits to be ended.
WORKER_POINTS = ("in-place", "worktree")


class Interrupted(BaseException):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_reached: dict[str, int] = {}  # checkpoint -> times reached in this process


def checkpoint(point: str) -> None:
    """The test hook (module docstring); nothing unless FLUX_COOKBOOK_SIGNAL_AT names `point`."""
    wanted, _, rest = os.environ.get(HOOK, "").partition(":")
    if wanted != point:
        return
    name, _, nth = rest.partition(":")
    _reached[point] = _reached.get(point, 0) + 1
    if _reached[point] != int(nth or 1):
        return
    signum = signal.Signals[name or "SIGINT"]
    if point in WORKER_POINTS:
        os.kill(os.getppid(), signum)
        while True:  # until update-all ends this worker
            signal.pause()
    os.kill(os.getpid(), signum)


# A signal that comes while a worker is being started waits for the end of that start
# (`signals_deferred`): raised between the fork and the record of the worker's process
# group, it would leave a worker running that nothing ends.
_deferring = {"depth": 0, "pending": 0}


def _stop(signum: int) -> None:
    # One is enough: the clean-up that follows must not be cut short by the next.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """Within, SIGINT and SIGTERM raise Interrupted (or wait, see `signals_deferred`). One
    this process was started ignoring stays ignored, as Python leaves SIGINT and as any
    command does: a shell starts a script's background job ignoring SIGINT, and that job
    then runs to its end whenever the signal comes, never half of it."""
    def handler(signum, frame):
        if _deferring["depth"]:
            _deferring["pending"] = _deferring["pending"] or signum
            return
        _stop(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)
                if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for sig, action in previous.items():
            signal.signal(sig, action)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Within, SIGINT and SIGTERM are noted, and raised when the block ends (see above)."""
    _deferring["depth"] += 1
    try:
        yield
    finally:
        _deferring["depth"] -= 1
        if not _deferring["depth"] and _deferring["pending"]:
            signum, _deferring["pending"] = _deferring["pending"], 0
            _stop(signum)
