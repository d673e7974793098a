"""The values to seal, as the user hands them over: keys checked, values never shown.

Every message here names a key, an argument's position, a line number or a file, never a
value: a refused `--from-literal` may hold a real password, typed in the wrong place.
Values stay bytes in memory; nothing here writes them anywhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

from flux_cookbook.errors import UsageError, UserError
from flux_cookbook.extensions.kube_names import secret_key_error


def _checked_key(key: str, where: str, shown: bool = True) -> str:
    """`key`, or UserError. Not `shown`: the text before the `=` of a literal or a piped line,
    which is a secret where one ends in `=` (a base64 token's padding) given without KEY=."""
    if error := secret_key_error(key, "" if shown else NOT_SHOWN):
        raise UserError(f"{where}: {error}")
    return key


NOT_SHOWN = "(not shown: it may be a secret)"


def _checked_value(value: bytes, where: str) -> bytes:
    """A literal's or a piped line's value; an empty one is refused: `TOKEN=` is more likely
    a secret ending in `=` given without its KEY= than a key meant to hold nothing, and its
    key would be written in plain text."""
    if not value:
        raise UserError(f"{where}: nothing after the '=' (the text before it is not shown: it may be a secret "
                        "given without KEY=). To seal an empty value, give --from-file KEY=<an empty file>.")
    return value


def _add(values: dict[str, bytes], key: str, value: bytes, where: str) -> None:
    if key in values:
        raise UserError(f"{where}: key '{key}' is given twice.")
    values[key] = value


def from_literals(literals: Iterable[str]) -> dict[str, bytes]:
    """`--from-literal KEY=VALUE` arguments, as kubectl takes them."""
    values: dict[str, bytes] = {}
    for number, literal in enumerate(literals, start=1):
        where = f"--from-literal #{number}"
        key, equals, value = literal.partition("=")
        if not equals:
            raise UsageError(f"{where} has no '=': write KEY=VALUE (the argument is not shown, it may be a secret).")
        # The bytes the shell passed, even where they are not valid in the locale's encoding.
        _add(values, _checked_key(key, where, shown=False), _checked_value(os.fsencode(value), where), where)
    return values


# Kubernetes refuses a Secret over 1 MiB: a larger value could never be unsealed into one,
# and reading stops there (a device or an endless pipe given by mistake ends too).
MAX_VALUE_BYTES = 1024 * 1024
STDIN = "-"


def from_files(specs: Iterable[str], stdin: BinaryIO | None = None) -> dict[str, bytes]:
    """`--from-file KEY=PATH` (or `PATH`, keyed by the file's name) arguments, as kubectl takes
    them; `KEY=-` reads the value from standard input (`stdin`), so that a multi-line value
    (a TLS key, a kubeconfig) never has to be written to a file first."""
    values: dict[str, bytes] = {}
    read_stdin = False
    for spec in specs:
        key, equals, path_text = spec.partition("=")
        if not equals:
            key, path_text = Path(spec).name, spec
        where = f"--from-file {spec}"
        key = _checked_key(key, where)
        if path_text == STDIN and equals:
            if read_stdin:
                raise UserError(f"{where}: standard input gives one value, and an earlier KEY=- took it.")
            if stdin is None:
                raise UserError(f"{where}: standard input is closed.")
            value = _bounded(stdin, where, "standard input")
            read_stdin = True
            if not value:  # a producer that failed in a pipe: never a key emptied unseen
                raise UserError(f"{where}: standard input gave nothing (did the command before the pipe fail?); "
                                f"nothing sealed. To seal an empty value, give --from-file {key}=<an empty file>.")
        else:
            path = Path(path_text)
            if not path.is_file():
                raise UserError(f"{where}: {path} is not a regular file (for standard input, write {key}=-).")
            try:
                with path.open("rb") as stream:
                    value = _bounded(stream, where, str(path))
            except OSError as error:
                raise UserError(f"{where}: cannot read {path}: {error.strerror}.") from None
        _add(values, key, value, where)
    return values


def files_git_would_commit(repo: Path, specs: Iterable[str]) -> list[str]:
    """The `--from-file` paths inside the repository that git does not ignore: each holds a
    secret in plain text that `git add -A` would commit (as the repository's root names them)."""
    root, found = repo.resolve(), []
    for spec in specs:
        key, equals, path_text = spec.partition("=")
        path_text = path_text if equals else spec
        if equals and path_text == STDIN:
            continue
        path = Path(path_text).resolve()
        if path.is_relative_to(root) and path != root:
            name = path.relative_to(root).as_posix()
            ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", "--", name], cwd=root,
                                     capture_output=True, check=False)
            if ignored.returncode == 1:  # 0: ignored; 128: no git repository here
                found.append(name)
    return found


def _bounded(stream: BinaryIO, where: str, name: str) -> bytes:
    value = stream.read(MAX_VALUE_BYTES + 1)
    if len(value) > MAX_VALUE_BYTES:
        raise UserError(f"{where}: {name} holds over 1 MiB, more than a Kubernetes Secret may hold.")
    return value


def require_one_secret_holds(values: dict[str, bytes], kept: dict[str, int] | None = None, where: str = "") -> dict[str, bytes]:
    """`values`, or UserError when together they are over what one Secret may hold (1 MiB:
    the controller could never make it, and the SealedSecret would pass etcd's limit), with
    `kept`: the lengths of the values `where` (a SealedSecret) holds already, those `values`
    do not replace."""
    kept = {key: length for key, length in (kept or {}).items() if key not in values}
    if (total := sum(len(value) for value in values.values()) + sum(kept.values())) > MAX_VALUE_BYTES:
        beside = f" with the {len(kept)} value{'s' if len(kept) > 1 else ''} {where} holds already" if kept else ""
        raise UserError(f"the values hold {total:,} bytes together{beside}, more than a Kubernetes Secret may hold "
                        f"({MAX_VALUE_BYTES:,}); seal them into several SealedSecrets.")
    return values


def from_lines(stream: BinaryIO) -> dict[str, bytes]:
    """`KEY=VALUE` lines, as piped to standard input: blank lines and lines starting with
    `#` are skipped, the value runs to the end of its line (an `=` in it included)."""
    values: dict[str, bytes] = {}
    for number, line in enumerate(_bounded(stream, "standard input", "it").split(b"\n"), start=1):
        line = line.removesuffix(b"\r")
        if not line.strip() or line.startswith(b"#"):
            continue
        where = f"standard input, line {number}"
        key, equals, value = line.partition(b"=")
        if not equals:
            raise UserError(f"{where} has no '=': write KEY=VALUE (the line is not shown, it may be a secret).")
        _add(values, _checked_key(key.decode("utf-8", "replace"), where, shown=False), _checked_value(value, where), where)
    if not values:
        raise UserError("standard input has no KEY=VALUE line: nothing to seal.")
    return values


def from_prompt(ask_key: Callable[[str], str], ask_secret: Callable[[str], str]) -> dict[str, bytes]:
    """Keys asked one by one until an empty answer; each value asked twice without echo.

    `ask_key` is `input`, `ask_secret` is `getpass.getpass` (parameters so tests can type).
    A bad key or a mismatch is asked again; a key given before is refused, not replaced.
    """
    try:
        return _prompted(ask_key, ask_secret)
    except EOFError:  # Ctrl-D at a prompt
        raise UserError("input ended at a prompt: nothing sealed.") from None
    except UnicodeDecodeError:  # what was typed is not the terminal's encoding: never shown, not even a byte
        raise UserError("what was typed at a prompt is not text in the terminal's encoding (UTF-8?): nothing "
                        "sealed. Give such a value with --from-file KEY=PATH, which takes any bytes.") from None


def _prompted(ask_key: Callable[[str], str], ask_secret: Callable[[str], str]) -> dict[str, bytes]:
    values: dict[str, bytes] = {}
    while True:
        key = ask_key("Secret key (empty to finish): " if values else "Secret key: ").strip()
        if not key:
            if values:
                return values
            raise UserError("no secret key given: nothing to seal.")
        if error := secret_key_error(key):
            print(error, file=sys.stderr)
            continue
        if key in values:
            print(f"key '{key}' is already given.", file=sys.stderr)
            continue
        value = ask_secret(f"Value of {key} (not shown): ")
        if ask_secret(f"Value of {key} again: ") != value:
            print(f"The two values of {key} differ; key {key} is not taken, type it again.", file=sys.stderr)
            continue
        values[key] = value.encode("utf-8")
