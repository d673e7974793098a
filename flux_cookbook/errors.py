"""The one way a command refuses: a message for the user, never a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a repository the command cannot work on.

    The message names the problem and what to do; `flux-cookbook` prints it alone and
    exits 1. Raise it before anything is written, or after putting back what was.
    """


class UsageError(UserError):
    """A command line that does not say what to do (an argument of the wrong form, a folder
    that is not there): exit 2, as argparse's own errors."""
