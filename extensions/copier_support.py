"""What the template needs of copier: the versions it supports, and the one internal it reads.

Supported: copier 9.19.x (SUPPORTED). `_min_copier_version` in copier.yml refuses older
ones; the Jinja extension calls `require_supported_copier()` when copier loads it and
refuses newer ones, whose behaviour (see ../shared/COPIER-NOTES.md) has not been tried.

Which operation is running: copier 9.19 gives tasks, migrations and exclusions
`_copier_operation`, but not questions. Checks that read the destination (does this app
exist already?) must run only on a real `copier copy`: during `copier update` copier also
renders the old and new template into empty temporary folders, where such checks would be
wrong. `copier_operation(context)` takes copier's public `_copier_operation` where the
context has it, and otherwise reads the context variable copier 9.19 sets for the whole
operation (`copier._main._operation`). If that private name is gone, it raises: quietly
answering "" would switch off the "app exists" and "repository URL clash" checks, and a
second app of the same name would overwrite the first without a word.
"""

from __future__ import annotations

from jinja2 import pass_context

SUPPORTED = (9, 19)  # major, minor
SUPPORTED_TEXT = "copier>=9.19.1,<9.20"


class UnsupportedCopier(RuntimeError):
    """This copier is not one the template was written and tested for."""


def copier_version() -> tuple[int, ...]:
    import copier

    return tuple(int(part) for part in copier.__version__.split(".")[:2] if part.isdigit())


def require_supported_copier() -> None:
    import copier

    if copier_version() != SUPPORTED:
        raise UnsupportedCopier(
            f"this template supports {SUPPORTED_TEXT}, and this is copier {copier.__version__}. "
            f"Install a supported one: pip install '{SUPPORTED_TEXT}' (flux-cookbook brings it)."
        )


@pass_context
def copier_operation(context) -> str:
    """"copy" or "update" (for question defaults, `when`s and validators)."""
    public = context.get("_copier_operation")
    if isinstance(public, str) and public:
        return public
    return private_operation()


def private_operation() -> str:
    try:
        from copier._main import _operation
    except ImportError as error:
        raise UnsupportedCopier(
            "copier no longer has copier._main._operation, which the template reads to tell "
            f"`copier copy` from `copier update`; it supports {SUPPORTED_TEXT}."
        ) from error
    operation = _operation.get(None)
    if operation not in ("copy", "update"):
        raise UnsupportedCopier(
            f"copier._main._operation holds {operation!r}, not 'copy' or 'update'; the template "
            f"supports {SUPPORTED_TEXT}."
        )
    return operation
