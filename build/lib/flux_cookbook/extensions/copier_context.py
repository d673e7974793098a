"""Which copier operation is running, for questions and validators.

copier 9.19 puts `_copier_operation` in the context of tasks, migrations and exclusions
but not of questions. Checks that read the destination (does this app exist already?)
must run only on a real `copier copy`: during `copier update` copier also renders the old
and new template into empty temporary folders, where such checks would be wrong. copier
records the operation in a context variable that those inner renders inherit, so it
tells the two apart.
"""

from __future__ import annotations


def copier_operation() -> str:
    """"copy", "update", or "" when copier's internals are not where 9.19 keeps them."""
    try:
        from copier._main import _operation
    except ImportError:
        return ""
    return _operation.get("")
