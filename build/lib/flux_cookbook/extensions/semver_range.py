"""Chart version ranges, resolved the way Helm and Flux resolve them.

`chart_version` may be a range (`6.x`, `~6.5`, `>=6.0.0 <7.0.0`); the template needs the one
chart version Flux will install, to fetch that version's values.yaml. Helm's repository
index and Flux's source-controller both use Masterminds/semver v3 (v3.4.0), whose ranges
differ from npm's and Cargo's in corners (`<=1.4` allows 1.4.9, `>1.2` starts at 1.3.0,
`~0.0.0` allows anything, pre-releases only when an AND group names one). A different
resolver would fetch a different version than the cluster installs, so this module ports
Masterminds' parser and checks rule for rule, its regular expressions included, rather than
reimplementing semver ranges from the spec.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering
from typing import Iterable

# Masterminds/semver NewVersion (CoerceNewVersion, the default): a `v` prefix, missing
# minor/patch and leading zeros in numbers are accepted.
_LOOSE_VERSION = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
# StrictNewVersion: exactly MAJOR.MINOR.PATCH with no leading zeros.
_STRICT_VERSION = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
    r"(?:\+([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
)
_UINT64_LIMIT = 2**64  # Go's ParseUint(…, 64) refuses larger numbers

# Masterminds' constraint grammar, verbatim (Python's `re` picks alternatives leftmost-first
# like Go's, so the same pattern splits `>=1.2` the same way). The `|` inside the character
# class is Masterminds' own quirk: such a segment later fails to parse as a version, except
# after a wildcard, where Masterminds ignores the rest (`1.x.3x` is `1.x`); kept for parity.
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_CONSTRAINT = re.compile(rf"^\s*({_OPS})\s*({_CV})\s*\Z", re.ASCII)
_RANGE = re.compile(rf"\s*({_CV})\s+-\s+({_CV})\s*", re.ASCII)
_FIND_CONSTRAINT = re.compile(rf"({_OPS})\s*({_CV})", re.ASCII)
_VALID_AND_GROUP = re.compile(
    rf"^(\s*({_OPS})\s*({_CV})\s*)((?:\s+|,\s*)({_OPS})\s*({_CV})\s*)*\Z", re.ASCII
)
_RANGE_SECOND_VERSION_GROUP = 11  # the first version takes groups 1-10 of _RANGE


@total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    """A parsed version; ordering is semver precedence (build metadata ignored)."""

    major: int
    minor: int
    patch: int
    prerelease: str = ""
    metadata: str = ""
    original: str = ""

    def _precedence(self) -> tuple:
        # A release ranks above its pre-releases; pre-release identifiers compare
        # numerically when both are numbers, numbers rank below words, and a shorter
        # list of equal identifiers ranks lower (semver item 11, as Masterminds does it).
        if not self.prerelease:
            return (self.major, self.minor, self.patch, 1, ())
        parts = tuple(_prerelease_key(part) for part in self.prerelease.split("."))
        return (self.major, self.minor, self.patch, 0, parts)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._precedence() == other._precedence()

    def __lt__(self, other: Version) -> bool:
        return self._precedence() < other._precedence()

    def __hash__(self) -> int:
        return hash(self._precedence())

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        if self.metadata:
            text += f"+{self.metadata}"
        return text


def _prerelease_key(part: str) -> tuple:
    if part.isdigit() and int(part) < _UINT64_LIMIT:
        return (0, int(part), "")
    return (1, 0, part)


def parse_version(text: str, strict: bool = False) -> Version:
    """Parse a version as Masterminds' NewVersion does; ValueError if it is not one.

    strict: only a full MAJOR.MINOR.PATCH without leading zeros (an optional `v` prefix
    aside), the rule Flux applies to OCI tags (fluxcd/pkg/version.ParseVersion).
    """
    if strict and not _STRICT_VERSION.fullmatch(text.removeprefix("v")):
        raise ValueError(f"'{text}' is not a full semantic version")
    match = _LOOSE_VERSION.fullmatch(text)
    if not match:
        raise ValueError(f"'{text}' is not a semantic version")
    numbers = [int(group[1:] if group.startswith(".") else group) if group else 0 for group in match.group(1, 2, 3)]
    if any(number >= _UINT64_LIMIT for number in numbers):
        raise ValueError(f"'{text}' has a number too large for a version")
    prerelease = match.group(5) or ""
    if any(part.isdigit() and len(part) > 1 and part.startswith("0") for part in prerelease.split(".")):
        raise ValueError(f"'{text}' has a numeric pre-release identifier with a leading zero")
    return Version(*numbers, prerelease=prerelease, metadata=match.group(8) or "", original=text)


@dataclass(frozen=True)
class _Comparison:
    """One `op version` term. `dirty`: a wildcard or missing part (`1.x`, `1`, `*`)."""

    op: str
    version: Version
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool

    def check(self, v: Version, include_pre: bool) -> bool:
        # Pre-releases are only candidates when the AND group asks for one (Masterminds
        # issue 21 and v3.4.0's group rule): `^1.2.3` never picks 1.3.0-rc.1.
        if v.prerelease and not include_pre:
            return False
        return _CHECKS[self.op](v, self)


def _not_equal(v: Version, c: _Comparison) -> bool:
    con = c.version
    if c.dirty:
        if con.major != v.major:
            return True
        if con.minor != v.minor and not c.minor_dirty:
            return True
        if c.minor_dirty:
            return False
        if con.patch != v.patch and not c.patch_dirty:
            return True
        if c.patch_dirty:
            if v.prerelease or con.prerelease:
                return _compare_prerelease(v, con) != 0
            return False
    return v != con


def _compare_prerelease(a: Version, b: Version) -> int:
    key_a = tuple(_prerelease_key(part) for part in a.prerelease.split("."))
    key_b = tuple(_prerelease_key(part) for part in b.prerelease.split("."))
    return (key_a > key_b) - (key_a < key_b)


def _greater_than(v: Version, c: _Comparison) -> bool:
    con = c.version
    if not c.dirty:
        return v > con
    if v.major != con.major:
        return v.major > con.major
    if c.minor_dirty:
        return False  # `>11` needs 12 or higher
    if c.patch_dirty:
        return v.minor > con.minor  # `>11.1` needs 11.2 or higher
    return v > con


def _less_than(v: Version, c: _Comparison) -> bool:
    return v < c.version


def _greater_equal(v: Version, c: _Comparison) -> bool:
    return v >= c.version


def _less_equal(v: Version, c: _Comparison) -> bool:
    con = c.version
    if not c.dirty:
        return v <= con
    if v.major > con.major:
        return False
    # `<=1.4` allows every 1.4.z; `<=1` every 1.y.z.
    return not (v.major == con.major and v.minor > con.minor and not c.minor_dirty)


def _tilde(v: Version, c: _Comparison) -> bool:
    con = c.version
    if v < con:
        return False
    if (con.major, con.minor, con.patch) == (0, 0, 0) and not c.minor_dirty and not c.patch_dirty:
        return True  # `~0.0.0` and `~*` allow anything
    if v.major != con.major:
        return False
    return con.minor == v.minor or c.minor_dirty


def _tilde_or_equal(v: Version, c: _Comparison) -> bool:
    # A bare version with a wildcard or missing part (`1.2`, `1.2.x`) is a tilde range.
    return _tilde(v, c) if c.dirty else v == c.version


def _caret(v: Version, c: _Comparison) -> bool:
    con = c.version
    if v < con:
        return False
    if con.major > 0 or c.minor_dirty:
        return v.major == con.major
    if v.major > 0:
        return False
    if con.minor > 0 or c.patch_dirty:
        return v.minor == con.minor  # ^0.2.3 := >=0.2.3 <0.3.0
    if v.minor > 0:
        return False
    return v.patch == con.patch  # ^0.0.3 := =0.0.3


_CHECKS = {
    "": _tilde_or_equal,
    "=": _tilde_or_equal,
    "!=": _not_equal,
    ">": _greater_than,
    "<": _less_than,
    ">=": _greater_equal,
    "=>": _greater_equal,
    "<=": _less_equal,
    "=<": _less_equal,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}


@dataclass(frozen=True)
class Constraint:
    """A parsed range: alternatives (`||`), each a group of terms that must all hold."""

    text: str
    groups: tuple[tuple[_Comparison, ...], ...]

    def allows(self, version: str) -> bool:
        """Whether `version` satisfies the range; a string that is no version never does."""
        try:
            parsed = parse_version(version)
        except ValueError:
            return False
        return self.check(parsed)

    def check(self, version: Version) -> bool:
        for group in self.groups:
            include_pre = any(term.version.prerelease for term in group)
            if all(term.check(version, include_pre) for term in group):
                return True
        return False

    def exact_version(self) -> str | None:
        """The one version this range names (`6.5.0`, `=v6.5.0`), or None for a real range."""
        if len(self.groups) != 1 or len(self.groups[0]) != 1:
            return None
        (term,) = self.groups[0]
        if term.op not in ("", "=") or term.dirty:
            return None
        return str(term.version)


def parse_constraint(text: str) -> Constraint:
    """Parse a Masterminds/semver range; ValueError naming the bad part if it is not one."""
    rewritten = _rewrite_hyphen_ranges(text)
    groups = []
    for alternative in rewritten.split("||"):
        if not _VALID_AND_GROUP.match(alternative):
            raise ValueError(f"'{text}' is not a version range: improper constraint '{alternative.strip()}'")
        terms = [match.group(0) for match in _FIND_CONSTRAINT.finditer(alternative)]
        groups.append(tuple(_parse_term(term, text) for term in terms))
    return Constraint(text=text, groups=tuple(groups))


def _rewrite_hyphen_ranges(text: str) -> str:
    # `1.2 - 1.4` means `>= 1.2, <= 1.4` (inclusive at both ends, `<=` keeping its
    # wildcard meaning): Masterminds rewrites the text before anything else.
    return _RANGE.sub(lambda m: f">= {m.group(1)}, <= {m.group(_RANGE_SECOND_VERSION_GROUP)} ", text)


def _parse_term(term: str, whole: str) -> _Comparison:
    match = _CONSTRAINT.match(term)
    assert match, term  # _FIND_CONSTRAINT only yields terms of this shape
    op, version_text, major, minor, patch, prerelease_part = match.group(1, 2, 3, 4, 5, 6)
    prerelease_part = prerelease_part or ""
    minor, patch = (minor or "").removeprefix("."), (patch or "").removeprefix(".")
    # The first wildcard or missing part decides the range and anything after it is
    # ignored (`1.x.3` is `1.x`); a wildcard version drops build metadata, as in Masterminds.
    if _is_wildcard(major):
        version_text, dirty, minor_dirty, patch_dirty = f"0.0.0{prerelease_part}", True, False, False
    elif _is_wildcard(minor) or not minor:
        version_text, dirty, minor_dirty, patch_dirty = f"{major}.0.0{prerelease_part}", True, True, False
    elif _is_wildcard(patch) or not patch:
        version_text, dirty, minor_dirty, patch_dirty = f"{major}.{minor}.0{prerelease_part}", True, False, True
    else:
        dirty = minor_dirty = patch_dirty = False
    try:
        version = parse_version(version_text)
    except ValueError:
        raise ValueError(f"'{whole}' is not a version range: '{term.strip()}' names no version") from None
    return _Comparison(op, version, dirty, minor_dirty, patch_dirty)


def _is_wildcard(part: str) -> bool:
    return part in ("x", "X", "*")


def newest_matching(versions: Iterable[str], constraint: str) -> str | None:
    """The newest of `versions` inside the range `constraint`, or None.

    An entry equal to the constraint text wins outright, as in Helm's index lookup and
    Flux's OCI tag lookup. Entries that are not versions are skipped, as Helm skips them.
    Among versions of equal precedence (differing only in build metadata) the first wins.
    Raises ValueError if `constraint` is not a range.
    """
    candidates = list(versions)
    if constraint in candidates:
        return constraint
    parsed = parse_constraint(constraint)
    best: Version | None = None
    for text in candidates:
        try:
            version = parse_version(text)
        except ValueError:
            continue
        if parsed.check(version) and (best is None or version > best):
            best = version
    return best.original if best else None
