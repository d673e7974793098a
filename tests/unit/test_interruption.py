"""update-all's signal handling, in this process: a signal raises Interrupted at once,
except while a worker is being started, when it waits for the start to be recorded."""

from __future__ import annotations

import os
import signal

import pytest

from flux_cookbook.update import interruption


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_raises_interrupted_where_it_lands(signum):
    reached = []
    with pytest.raises(interruption.Interrupted) as stopped, interruption.signals_raise():
        os.kill(os.getpid(), signum)
        reached.append("after the signal")
    assert stopped.value.signum == signum and reached == []


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_a_worker_starts_is_raised_when_the_start_is_recorded(signum):
    reached = []
    with pytest.raises(interruption.Interrupted) as stopped, interruption.signals_raise():
        with interruption.signals_deferred():
            os.kill(os.getpid(), signum)
            reached.append("recorded")  # what start_worker does after Popen: record the group
            with interruption.signals_deferred():  # nested: raised only at the outer end
                reached.append("inner")
            reached.append("outer")
        reached.append("after the start")
    assert stopped.value.signum == signum and reached == ["recorded", "inner", "outer"]
    # Handled: the next run of the handler starts from nothing pending.
    with interruption.signals_raise(), interruption.signals_deferred():
        reached.append("clean")
    assert reached[-1] == "clean"
