"""Cluster repositories made by the template, driven as a user drives them.

copier runs through its Python API (the same code the CLI runs, without a process start
per call); the bad-input tests run the real CLI (`python -m copier`, in this process too),
since its message is what users read.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import io
import json
import os
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import copier
import plumbum
import yaml

from flux_cookbook import cli, stops
from flux_cookbook.extensions import told_once

from .template_repo import PROJECT_ROOT, git

CRDS = Path(__file__).resolve().parents[3] / "shared" / "flux-crds"
AUTHOR = ["-c", "user.name=A User", "-c", "user.email=user@invalid"]


def copy(template: Path, dst: Path, vcs_ref: str | None = None, **data) -> Path:
    """`copier copy --defaults` of `template` at `vcs_ref` into `dst` with `data` as answers.

    Into a new or empty folder, a copy copier already made in this test process from the
    same template (at the same refs), release, answers (and the files they name) and
    FLUX_COOKBOOK_* settings is copied instead of made again:
    the result is the same, byte for byte, wherever it lands (copier writes no destination
    path), and the suite makes the same few fresh clusters dozens of times. Copies into an
    existing repository (adding an app) always run copier."""
    fresh = not dst.exists() or not any(dst.iterdir())
    settings = sorted((name, value) for name, value in os.environ.items() if name.startswith("FLUX_COOKBOOK_"))
    key = json.dumps([str(template), git(template, "show-ref"), vcs_ref, data, _files_named(data), settings],
                     sort_keys=True, default=repr) if fresh else ""
    if fresh and key in _FRESH_COPIES:
        shutil.copytree(_FRESH_COPIES[key], dst, symlinks=True, dirs_exist_ok=True)
        return dst
    with copier_sees_this_environment():
        copier.run_copy(str(template), dst, data=data, vcs_ref=vcs_ref, defaults=True, unsafe=True, quiet=True)
    if fresh:
        kept = Path(tempfile.mkdtemp(dir=_fresh_copies_folder())) / "copy"
        shutil.copytree(dst, kept, symlinks=True)
        _FRESH_COPIES[key] = kept
    return dst


_FRESH_COPIES: dict[str, Path] = {}  # key of copy()'s arguments -> copier's result, kept


def _files_named(data: dict) -> dict[str, str]:
    """What the files and folders an answer names hold (values_source), so that a copy
    from a file since rewritten is made again."""
    held = {}
    for value in data.values():
        if isinstance(value, str) and value.startswith("/") and Path(value).exists():
            path = Path(value)
            paths = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
            held[value] = hashlib.sha256(b"".join(bytes(p) + b"\0" + p.read_bytes() for p in paths)).hexdigest()
    return held


@functools.cache
def _fresh_copies_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="fresh-copies-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def update(repo: Path, answers_file: str = ".copier-answers.yml", vcs_ref: str | None = None, **data) -> None:
    with copier_sees_this_environment():
        copier.run_update(
            repo, answers_file=answers_file, data=data, vcs_ref=vcs_ref, defaults=True, unsafe=True,
            overwrite=True, quiet=True,
        )


@contextlib.contextmanager
def copier_sees_this_environment() -> Iterator[None]:
    """copier starts git, its tasks and the migrations with plumbum's copy of the
    environment, taken when plumbum was imported (as this test process started): within,
    that copy is this process's environment as it is now (the session's copier settings
    and chart cache, a test's own variables), as a process started now would have it."""
    with plumbum.local.env():
        plumbum.local.env.clear()
        plumbum.local.env.update(os.environ)
        yield


def copier_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The copier command line, as a user runs it (no terminal: --defaults): `python -m
    copier`, its module run as the interpreter runs it, in this test process
    (in_this_process: no interpreter start and no import of copier, about 0.35 s a call)."""
    return in_this_process(["copier", *args], lambda: _run_as_main("copier", ["copier", *args]), cwd=cwd)


def _run_as_main(module: str, argv: list[str]) -> None:
    """`python -m <module> <argv[1:]>`: the module's __main__ run with that command line."""
    saved = sys.argv
    sys.argv = argv
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        sys.argv = saved


@contextlib.contextmanager
def _signals_as_at_a_terminal() -> Iterator[None]:
    """SIGINT as a command started at a terminal has it (Python's KeyboardInterrupt), not as
    pytest-xdist's worker has it (ignored, which a command keeps: stops.signals_raise)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def ctrl_c_as_at_a_terminal() -> None:
    # pytest-xdist's workers ignore SIGINT, and a child inherits that: Python then turns no
    # SIGINT into KeyboardInterrupt. A command started at a terminal has the default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def cookbook_cli(*args: str, cwd: Path | None = None, input: str | bytes | None = None,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The `flux-cookbook` command, as a user runs it, from this checkout, in this test
    process (in_this_process). It runs as a process of its own (cookbook_process) when told
    to stop itself with a signal (FLUX_COOKBOOK_SIGNAL_AT: the signal would reach the test
    run), and when it may ask copier's questions on the `input` given (`new`, `add`:
    copier's prompts keep the first standard input they read for the life of a process)."""
    if stops.HOOK in os.environ or stops.HOOK in (env or {}) or (input is not None and command_asks(args)):
        return cookbook_process(*args, cwd=cwd, input=input, env=env)
    return in_this_process(["flux-cookbook", *args], lambda: cli.main(list(args)), cwd=cwd, input=input, env=env)


def command_asks(args: tuple[str, ...]) -> bool:
    return cli.command_named(list(args)) in ("new", "add")


def in_this_process(argv: list[str], main: Callable[[], int | None], cwd: Path | None = None,
                    input: str | bytes | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A command's `main` run as its process would run it, in this test process: a process
    start and copier's import, about 0.4 s, saved per call. In `cwd`, with `env` over this
    process' environment; standard input `input` (else this process' own); what it writes,
    through Python or through the processes it starts, read from file descriptors 1 and 2,
    as a shell reads it; its exit code as Python's would be (a traceback is 1). Given
    `input` in bytes, the output is in bytes too. As at a process's start, nothing is
    remembered yet (_nothing_remembered_yet); a file descriptor the command leaves open,
    which a process's end would hide, fails the test. What a command could do to this
    process's memory is a test run's (a test of a resource limit runs cookbook_process)."""
    with tempfile.TemporaryDirectory(prefix="in-this-process-") as folder:
        out, err = Path(folder, "stdout"), Path(folder, "stderr")
        with _no_descriptor_left_open(argv), _working_in(cwd), _environment(env), copier_sees_this_environment(), \
                _nothing_remembered_yet(), _input_from(input, Path(folder, "stdin")), _output_to(out, err), \
                _warnings_as_a_process_shows_them(), _signals_as_at_a_terminal():
            code = _exit_code(main)
        if isinstance(input, bytes):
            return subprocess.CompletedProcess(argv, code, out.read_bytes(), err.read_bytes())
        return subprocess.CompletedProcess(argv, code, out.read_text(errors="replace"), err.read_text(errors="replace"))


def cookbook_process(*args: str, cwd: Path | None = None, input: str | bytes | None = None,
                     env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The `flux-cookbook` command in a process of its own (`python -m flux_cookbook`), with
    `env` over this process's environment; given `input` in bytes, the output is in bytes."""
    path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "flux_cookbook", *args], cwd=cwd, env={**os.environ, "PYTHONPATH": path, **(env or {})},
        capture_output=True, text=not isinstance(input, bytes), input=input, check=False,
        preexec_fn=ctrl_c_as_at_a_terminal,
    )


def _exit_code(main: Callable[[], int | None]) -> int:
    """What the process would exit with: main's code, a SystemExit's (argparse's usage
    errors and --help, copier's), or 1 after a traceback."""
    try:
        code = main()
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        print(stop.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        traceback.print_exc()
        return 130
    except Exception:
        traceback.print_exc()
        return 1
    return code or 0


# What the template's code remembers for the rest of its process (functools caches).
REMEMBERED_PER_PROCESS = ("fetch_chart_values", "published_url")


@contextlib.contextmanager
def _nothing_remembered_yet() -> Iterator[None]:
    """As at a process's start: no note told yet, and no chart values or template origin
    remembered (the template's code keeps them per process, in each copy of it imported)."""
    saved = sys.modules.pop(told_once.SHARED_NAME, None)
    # This checkout's code (flux_cookbook.extensions) and each release's the template
    # imported (jinja_entry.py: flux_cookbook_<digest>).
    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("flux_cookbook") and module_name.endswith((".chart_values", ".template_source")):
            for name in REMEMBERED_PER_PROCESS:
                if callable(getattr(getattr(module, name, None), "cache_clear", None)):
                    getattr(module, name).cache_clear()
    try:
        yield
    finally:
        sys.modules.pop(told_once.SHARED_NAME, None)
        if saved is not None:
            sys.modules[told_once.SHARED_NAME] = saved


@contextlib.contextmanager
def _no_descriptor_left_open(argv: list[str]) -> Iterator[None]:
    """The command's own descriptors are all closed when it returns (Linux's /proc). Sockets
    are left out: the Helm repositories and registries the tests serve answer from threads
    of this process, whose connections close in their own time."""
    listed = Path("/proc/self/fd")
    before = set(os.listdir(listed)) if listed.is_dir() else set()
    yield
    if not before:
        return
    left = {}
    for fd in set(os.listdir(listed)) - before:
        with contextlib.suppress(OSError):
            left[fd] = os.readlink(listed / fd)
    left = {fd: target for fd, target in left.items() if not target.startswith("socket:")}
    assert not left, f"{' '.join(argv)} left file descriptors open: {left}"


@contextlib.contextmanager
def _working_in(cwd: Path | None) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(cwd or before)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _environment(env: dict[str, str] | None) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _input_from(input: str | bytes | None, path: Path) -> Iterator[None]:
    """File descriptor 0 and sys.stdin reading `input` from `path` (nothing changed for None)."""
    if input is None:
        yield
        return
    path.write_bytes(input if isinstance(input, bytes) else input.encode())
    saved = (sys.stdin, os.dup(0))
    with open(path, "rb") as source:
        try:
            os.dup2(source.fileno(), 0)
            sys.stdin = io.TextIOWrapper(open(path, "rb"), encoding="utf-8")
            yield
        finally:
            sys.stdin.close()
            sys.stdin = saved[0]
            os.dup2(saved[1], 0)
            os.close(saved[1])


@contextlib.contextmanager
def _output_to(out: Path, err: Path) -> Iterator[None]:
    """File descriptors 1 and 2, and sys.stdout and sys.stderr, appending to `out` and `err`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (sys.stdout, sys.stderr, os.dup(1), os.dup(2))
    # stdout in blocks, stderr by lines, as Python writes them to a pipe: a command must
    # flush what it printed before a process it starts writes.
    files = (open(out, "a", encoding="utf-8"), open(err, "a", encoding="utf-8", buffering=1))
    try:
        os.dup2(files[0].fileno(), 1)
        os.dup2(files[1].fileno(), 2)
        sys.stdout, sys.stderr = files
        yield
    finally:
        sys.stdout, sys.stderr = saved[:2]
        for fd, held in ((1, saved[2]), (2, saved[3])):
            os.dup2(held, fd)
            os.close(held)
        for file in files:
            file.close()


@contextlib.contextmanager
def _warnings_as_a_process_shows_them() -> Iterator[None]:
    """Python's default warning filters (pytest's are its own): shown once each, on stderr,
    but for those Python hides outside __main__."""
    with warnings.catch_warnings():
        warnings.resetwarnings()
        warnings.simplefilter("default")
        for hidden in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.simplefilter("ignore", hidden)
        yield


def own_copy(repo: Path, dest: Path) -> Path:
    """A whole copy of `repo`, its .git included: a module's fixture makes a repository
    once and each test that changes it gets a copy, in milliseconds instead of a copier run."""
    shutil.copytree(repo, dest, symlinks=True)
    return dest


def init_repo(path: Path) -> Path:
    git(path, "init", "-q", "-b", "main")
    commit_all(path, "Initial commit")
    return path


def repo_with(path: Path, files: dict[str, str]) -> Path:
    """A git repository at `path` holding `files` (name -> text), committed."""
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return init_repo(path)


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in the file with `new`, as a user's edit; `old` must be there."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, *AUTHOR, "commit", "-q", "--allow-empty", "-m", message)


def tree_state(repo: Path) -> tuple[str, str, dict[str, bytes]]:
    """HEAD, `git status`, and every file's bytes: equal before and after means untouched."""
    files = {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    return git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain", "--untracked-files=all"), files


def answers(repo: Path, app: str | None = None) -> dict:
    name = f".copier-answers.app-{app}.yml" if app else ".copier-answers.yml"
    return yaml.safe_load((repo / name).read_text())


def files(repo: Path) -> set[str]:
    return {
        str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file() and ".git" not in p.relative_to(repo).parts
    }


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())
