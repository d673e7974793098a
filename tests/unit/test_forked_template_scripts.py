"""update-all runs the template's own Python scripts (its migrations) in a fork of itself,
not a new interpreter (flux_cookbook/forked_scripts.py). A forked run must be what
`python script` would be: the script's argv, copier's environment and working directory,
the standard streams, its exit status, and the checkout's own code under this package's
names."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

import flux_cookbook
from flux_cookbook import bulk_update, forked_scripts

SCRIPT = """\
import os, sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import flux_cookbook  # the checkout's, as in a new interpreter

print("argv", sys.argv[1:], "where", flux_cookbook.WHERE, "cwd", os.getcwd(), "stage", os.environ.get("STAGE"))
print("rendering module", "rendering_helper" in sys.modules)
print("to stderr", file=sys.stderr)
sys.exit(int(sys.argv[1]))
"""


@pytest.fixture()
def checkouts(tmp_path):
    with bulk_update.shared_template_checkouts() as state:
        checkout = state.root / "checkout.1"
        (checkout / "flux_cookbook").mkdir(parents=True)
        (checkout / "flux_cookbook/__init__.py").write_text(
            'import os\nWHERE = "the checkout"\n'
            'with open(os.path.join(os.path.dirname(__file__), "imports.log"), "a") as log:\n'
            '    log.write(str(os.getpid()) + "\\n")\n')
        (checkout / "scripts").mkdir()
        (checkout / "scripts/run.py").write_text(SCRIPT)
        (checkout / "scripts/fails.py").write_text("raise RuntimeError('a bug in the script')\n")
        # What copier's render imports from a checkout (its Jinja extension) a new interpreter lacks.
        (checkout / "rendering_helper.py").write_text("")
        spec = importlib.util.spec_from_file_location("rendering_helper", checkout / "rendering_helper.py")
        sys.modules["rendering_helper"] = importlib.util.module_from_spec(spec)
        try:
            yield state, checkout
        finally:
            del sys.modules["rendering_helper"]


def test_a_checkout_script_runs_forked_as_a_new_interpreter_would_run_it(checkouts, tmp_path, capfd, monkeypatch):
    state, checkout = checkouts
    monkeypatch.chdir(tmp_path)
    environ = dict(os.environ)
    done = state.scripts.run([sys.executable, str(checkout / "scripts/run.py"), "3", "two words"], shell=False,
                             check=False, env={**os.environ, "STAGE": "before"})
    out, err = capfd.readouterr()
    assert done.returncode == 3 and state.scripts.forked == 1
    assert out == f"argv ['3', 'two words'] where the checkout cwd {tmp_path} stage before\nrendering module False\n"
    assert "rendering_helper" in sys.modules
    assert err == "to stderr\n"
    # This process is as it was: its own package, environment and working directory.
    assert sys.modules["flux_cookbook"] is flux_cookbook and not hasattr(flux_cookbook, "WHERE")
    assert dict(os.environ) == environ and Path.cwd() == tmp_path


def test_a_script_that_raises_exits_1_with_the_traceback(checkouts, capfd):
    state, checkout = checkouts
    done = state.scripts.run([sys.executable, str(checkout / "scripts/fails.py")], shell=False, check=False,
                             env=dict(os.environ))
    err = capfd.readouterr().err
    assert done.returncode == 1 and "Traceback" in err and "RuntimeError: a bug in the script" in err


def test_anything_else_is_the_real_subprocess_run(checkouts, tmp_path, capfd):
    state, checkout = checkouts
    elsewhere = tmp_path / "script.py"
    elsewhere.write_text("print('a new interpreter')\n")
    for args, options in (
        ([sys.executable, str(elsewhere)], {"env": dict(os.environ)}),  # not a checkout's script
        (f"{sys.executable} {checkout / 'scripts/run.py'} 0", {"shell": True, "env": dict(os.environ)}),  # a shell line
        ([sys.executable, str(checkout / "scripts/run.py"), "0"], {}),  # no environment given: not copier's call
        (["/bin/echo", str(checkout / "scripts/run.py")], {"env": dict(os.environ)}),  # another program
    ):
        done = state.scripts.run(args, check=False, **options)
        assert isinstance(done, subprocess.CompletedProcess) and done.returncode == 0
    assert state.scripts.forked == 0
    assert "a new interpreter" in capfd.readouterr().out
    # and the module's other names are the real module's
    assert state.scripts.PIPE is subprocess.PIPE and state.scripts.CalledProcessError is subprocess.CalledProcessError


def test_while_the_cache_is_active_copier_runs_tasks_through_it():
    from copier import _main

    assert _main.subprocess is subprocess
    with bulk_update.shared_template_checkouts() as state:
        assert _main.subprocess is state.scripts
    assert _main.subprocess is subprocess


def test_where_forking_is_not_safe_a_new_interpreter_runs_the_script(checkouts, monkeypatch, capfd):
    state, checkout = checkouts
    monkeypatch.setattr(forked_scripts, "CAN_FORK_SCRIPTS", False)
    done = state.scripts.run([sys.executable, str(checkout / "scripts/run.py"), "4"], shell=False, check=False,
                             env=dict(os.environ))
    assert done.returncode == 4 and state.scripts.forked == 0
    assert "where the checkout" in capfd.readouterr().out


def test_after_its_first_run_a_script_finds_its_checkouts_modules_imported(checkouts, tmp_path, capfd, monkeypatch):
    """The first run reports what it imported; this process imports that aside once; later
    runs start with it imported (the module's code does not run again), and print the same."""
    state, checkout = checkouts
    monkeypatch.chdir(tmp_path)
    log = checkout / "flux_cookbook/imports.log"
    outputs = []
    for _ in range(3):
        done = state.scripts.run([sys.executable, str(checkout / "scripts/run.py"), "0"], shell=False, check=False,
                                 env=dict(os.environ))
        assert done.returncode == 0
        outputs.append(capfd.readouterr())
    assert outputs[0] == outputs[1] == outputs[2] and "where the checkout" in outputs[0].out
    # imported in the first run's child and once aside here, never again
    assert log.read_text().splitlines()[1:] == [str(os.getpid())] and len(log.read_text().splitlines()) == 2
    assert set(state.scripts.imported[str(checkout / "scripts/run.py")]) == {"flux_cookbook"}
    assert sys.modules["flux_cookbook"] is flux_cookbook and not hasattr(flux_cookbook, "WHERE")
    assert str(checkout) not in sys.path
