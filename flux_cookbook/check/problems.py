"""What a check reports: one problem at a file and line, and the names the rules share.

The rules live in several modules (rules_*.py and the rule modules beside them, which
run.py runs); each imports these from here, so none imports run.py back.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR, WARNING = "error", "warning"

BUILTIN_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
SEALED_SECRETS_GROUP = "bitnami.com"


def printable(text: str) -> str:
    """`text` on one line: a control character (a newline in a file name a pull request
    added) written as an escape, so that no name can forge a line of the report."""
    return "".join(char if char.isprintable() or char == " " else char.encode("unicode_escape").decode("ascii")
                   for char in text)


@dataclass(frozen=True, order=True)
class Problem:
    path: str  # repository-relative, with `/`
    line: int  # 1-based
    rule: str
    severity: str  # ERROR or WARNING
    message: str

    def __str__(self) -> str:
        marker = "warning: " if self.severity == WARNING else ""
        return f"{printable(self.path)}:{self.line}: {marker}{self.rule}: {printable(self.message)}"

    def as_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "rule": self.rule, "severity": self.severity,
                "message": self.message}
