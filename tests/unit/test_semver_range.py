"""Version ranges resolve as Helm and Flux resolve them (Masterminds/semver v3.4.0).

Most rows are Masterminds' own test cases (constraints_test.go), so a port that drifts
from the Go library fails here; the rest are the forms the template's users type.
"""

import pytest

from flux_cookbook.extensions.semver_range import newest_matching, parse_constraint, parse_version

ALLOWS = [
    # exact and equal
    ("=2.0.0", "1.2.3", False), ("=2.0.0", "2.0.0", True), ("=2.0", "2.0.1", True),
    ("4.1", "4.1.0", True), ("6.14.1", "6.14.1", True), ("6.14.1", "6.14.2", False),
    ("v6.14.1", "6.14.1", True), ("6.14.1", "v6.14.1", True), ("1.2.3+build", "1.2.3", True),
    ("=0", "1", False),
    # not equal
    ("!=4.1.0", "4.1.0", False), ("!=4.1.0", "4.1.1", True), ("!=4.1", "4.1.1", False),
    ("!=4.1", "5.1.0-alpha.1", False), ("!=4.1-alpha", "4.1.0", True),
    ("!=4.x", "5.1.0", True), ("!=4.x", "4.1.0", False), ("!=4.1.x", "4.2.0", True),
    ("!=4.2.x", "4.2.3", False), ("!=4.1-alpha", "4.1.0-alpha", False),
    # less / greater, with Masterminds' wildcard meanings
    ("<11", "0.1.0", True), ("<11", "11.1.0", False), ("<1.1", "1.1.1", False),
    ("<1.x", "1.1.1", False), ("<1.x", "0.1.1", True), ("<1.1.x", "1.0.500", True),
    ("<1.1.x", "1.1.500", False), ("<=11", "11.2.3", True), ("<=11", "12.2.3", False),
    ("<=1.1", "1.1.1", True), ("<=1.1", "1.2.3", False), ("<=1.x", "1.1.0", True),
    ("<=2.x", "3.0.0", False), ("<=1.1.x", "1.2.500", False), ("<=4.5", "3.7.0", True),
    (">1.1", "4.1.0", True), (">1.1", "1.1.0", False), (">11", "11.1.0", False),
    (">11.1", "11.1.1", False), (">11.1", "11.2.1", True), (">1.2", "1.2.9", False),
    (">1.2", "1.3.0", True), (">0", "0", False), (">0", "1", True),
    (">=11", "11.1.2", True), (">=11.1", "11.0.2", False), (">=1.1", "4.1.0-beta", False),
    ("=>1.1", "1.1.0", True), ("=<1.1", "1.1.5", True),
    # pre-releases: only when the AND group names one
    (">0", "0.0.1-alpha", False), (">=0-0", "0.0.1-alpha", True), (">0.0.0-0", "0.0.0-alpha", True),
    (">=0.0.0-0", "3.4.5-beta.1", True), ("<0-z", "0.0.0-alpha", True), ("<0", "0.0.0-alpha", False),
    (">1.2.3-alpha.1", "1.2.3-alpha.2", True), ("<=1.1-a", "0.1.0-alpha", True),
    ("<=1.1", "0.1.0-alpha", False), ("*-0", "1.2.3-alpha.1", True),
    (">=6.0.0-0 <7.0.0", "6.15.0-rc.1", True),  # the group names a pre-release: both terms admit them
    (">=6.0.0 <7.0.0", "6.15.0-rc.1", False),
    ("^6.1 || >=7.0.0-0", "6.15.0-rc.1", False),  # only the second alternative admits pre-releases
    ("^6.1 || >=7.0.0-0", "7.0.0-rc.1", True),
    # wildcards and partial versions
    ("*", "1", True), ("*", "4.5.6", True), ("*", "1.2.3-alpha.1", False),
    ("x", "9.9.9", True), ("2.*", "2.1.1", True), ("2.*", "3.4.5", False), ("2.1.*", "2.2.1", False),
    ("2", "2.1.1", True), ("2", "1", False), ("2.1", "2.1.1", True), ("2.1", "2.2.1", False),
    ("6.x", "6.14.1", True), ("6.x", "7.0.0", False), ("6.X", "6.0.3", True), ("1.2.x", "1.2.9", True),
    ("1.2.x", "1.3.0", False), ("1.x.3", "1.9.0", True), ("0.x.x", "1.2.3", False), ("0.0.x", "1.2.3", False),
    ("0.0.0", "1.2.3", False),
    # tilde: ~1.2.3 := >=1.2.3 <1.3.0, ~1 := >=1 <2
    ("~1.2.3", "1.2.4", True), ("~1.2.3", "1.3.4", False), ("~1.2.3", "1.2.2", False),
    ("~1.2", "1.2.4", True), ("~1.2", "1.3.4", False), ("~1", "1.2.4", True), ("~1", "2.3.4", False),
    ("~1.x", "1.3.5", True), ("~0.2.3", "0.2.5", True), ("~0.2.3", "0.3.5", False),
    ("~*", "2.1.1", True), ("~0.0.0", "1.2.3", True), ("~>1.2", "1.2.9", True), ("~> 1.2", "1.3.0", False),
    ("~6.13", "6.13.0", True), ("~6.13", "6.14.1", False),
    ("~1.2.3-beta.2", "1.2.3-beta.4", True), ("~1.2.3-beta.2", "1.2.4-beta.2", True),
    ("~1.2.3-beta.2", "1.3.4-beta.2", False), ("~1.1", "1.1.1-alpha", False),
    ("~1.1.1-beta", "1.1.1-alpha", False), ("~1.1.1-beta", "1.1.1", True),
    # caret: ^1.2 := >=1.2.0 <2.0.0, ^0.2.3 := >=0.2.3 <0.3.0, ^0.0.3 := =0.0.3
    ("^1.2.3", "1.8.9", True), ("^1.2.3", "2.8.9", False), ("^1.2.3", "1.2.1", False),
    ("^1.2", "1.8.9", True), ("^1.2", "2.0.0", False), ("^1", "1.8.9", True), ("^1", "2.8.9", False),
    ("^1.2.0", "1.2.1-alpha.1", False), ("^1.2.0-alpha.0", "1.2.1-alpha.1", True),
    ("^1.2.0-alpha.2", "1.2.0-alpha.1", False),
    ("^0.2.3", "0.2.5", True), ("^0.2.3", "0.3.0", False), ("^0.2", "0.2.5", True), ("^0.2", "0.5.6", False),
    ("^0.0.3", "0.0.3", True), ("^0.0.3", "0.0.4", False), ("^0.0", "0.0.3", True), ("^0.0", "0.1.4", False),
    ("^0", "0.2.3", True), ("^0", "1.1.4", False), ("^0.0.0", "1.2.3", False),
    ("^1.x", "1.1.1", True), ("^1.x", "2.1.1", False), ("^1.x", "1.1.1-beta1", False),
    ("^1.1.2-alpha", "1.2.1-beta1", True), ("^1.2.x-alpha", "1.1.1-beta1", False),
    ("^0.2.3-beta.2", "0.2.4-beta.2", True), ("^0.2.3-beta.2", "0.3.4-beta.2", False),
    ("^6.1", "6.14.1", True),
    # AND groups (space or comma), alternatives, hyphen ranges
    (">=6.0.0 <7.0.0", "6.14.1", True), (">=6.0.0 <7.0.0", "7.0.0", False),
    (">= 1.2, < 2", "1.9.9", True), (">= 1.2, < 2", "2.0.0", False),
    (">1.1, <2", "1.1.1", False), (">1.1 <2", "1.2.1", True), (">=1.1 <2 !=1.2.3", "1.2.3", False),
    (">=1.1, <2, !=1.2.3 || > 3", "4.1.2", True), (">=1.1, <2, !=1.2.3 || > 3", "3.0.0", False),
    (">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", True), ("> 1.1    <3", "4.3.2", False),
    ("1.2 - 1.4", "1.4.9", True), ("1.2 - 1.4", "1.5.0", False), ("1.2 - 1.4", "1.1.9", False),
    ("1.1 - 2", "1.1.1", True), ("1.5.0 - 4.5", "3.7.0", True), ("1.1-3", "4.3.2", False),
    ("1.0.0 - 2.0.0 <=2.0.0", "1.5.0", True), ("1.0.0 - 2.0.0, <=2.0.0", "1.5.0", True),
    ("6.x || 7.x", "7.2.0", True), ("6.x || 7.x", "8.0.0", False),
    # what is not a version is never allowed
    ("*", "latest", False), ("*", "6.14", True), ("*", "06.14.1", True), ("*", "1.2.3-01", False),
]


@pytest.mark.parametrize(("constraint", "version", "expected"), ALLOWS)
def test_allows(constraint, version, expected):
    assert parse_constraint(constraint).allows(version) is expected


@pytest.mark.parametrize("text", [
    "", "foo", ">= bar", "BAR >= 1.2.3", "12.3.4.1234", "12.3.34~ 1.2.3", "1.2.3 ||", ">=1.2.3<2",
    "6.x,", "~", "1.2.3 |", "1.2x",
])
def test_not_a_range(text):
    with pytest.raises(ValueError, match="is not a version range"):
        parse_constraint(text)


@pytest.mark.parametrize(("text", "groups", "terms"), [
    (">= 1.2.3 < 2.0 || => 3.0 < 4", 2, 2), ("3 - 4 || => 3.0, < 4", 2, 2), ("12.3.34 ~1.2.3", 1, 2),
    ("1.0.0 - 2.0.0, <=2.0.0", 1, 3), ("v2.3.5-20161202202307-sha.e8fc5e5", 1, 1),
])
def test_structure(text, groups, terms):
    parsed = parse_constraint(text)
    assert (len(parsed.groups), len(parsed.groups[0])) == (groups, terms)


@pytest.mark.parametrize(("text", "exact"), [
    ("6.14.1", "6.14.1"), ("=v6.14.1", "6.14.1"), (" 1.2.3-rc.1 ", "1.2.3-rc.1"),
    ("6.x", None), ("6.14", None), ("~6.14.1", None), (">=6.14.1", None), ("6.14.1 || 6.14.2", None),
])
def test_exact_version(text, exact):
    assert parse_constraint(text).exact_version() == exact


PODINFO = ["6.0.3", "6.13.0", "6.14.1"]


@pytest.mark.parametrize(("versions", "constraint", "expected"), [
    (PODINFO, "6.x", "6.14.1"),
    (PODINFO, "~6.13", "6.13.0"),
    (PODINFO, "^6.1", "6.14.1"),
    (PODINFO, "6.0.3", "6.0.3"),
    (PODINFO, ">=6.0.0 <6.13.0", "6.0.3"),
    (PODINFO, "1.2 - 1.4", None),
    (PODINFO, "7.x", None),
    (["6.14.1", "6.15.0-rc.1"], "6.x", "6.14.1"),  # pre-releases only when asked for
    (["6.14.1", "6.15.0-rc.1"], ">=6.0.0-0", "6.15.0-rc.1"),
    (["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1"], ">=1.0.0-0", "1.0.0-rc.1"),
    (["1.0.0-beta.2", "1.0.0-beta.11"], ">=1.0.0-0", "1.0.0-beta.11"),  # numeric identifiers compare as numbers
    (["1.0.0-alpha.1", "1.0.0-alpha"], ">=1.0.0-0", "1.0.0-alpha.1"),  # more identifiers rank higher
    (["1.0.0-alpha.beta", "1.0.0-alpha.1"], ">=1.0.0-0", "1.0.0-alpha.beta"),  # words above numbers
    (["latest", "", "6.14.1", "6.99.0-01", "v6.20.0"], "6.x", "v6.20.0"),  # junk skipped, `v` kept
    (["6.13.0", "6.14"], "6.x", "6.14"),  # partial versions count, as in Helm
    (["1.0.0+a", "1.0.0+b"], "1.x", "1.0.0+a"),  # equal precedence: the first wins
    (["6.14.1", "6.x"], "6.x", "6.x"),  # an entry equal to the range text wins, as in Helm's index lookup
    ([], "*", None),
])
def test_newest_matching(versions, constraint, expected):
    assert newest_matching(versions, constraint) == expected


def test_newest_matching_refuses_a_bad_range():
    with pytest.raises(ValueError, match="is not a version range"):
        newest_matching(PODINFO, ">= six")


@pytest.mark.parametrize(("text", "strict", "parsed"), [
    ("1.2.3", True, (1, 2, 3, "", "")), ("v1.2.3", True, (1, 2, 3, "", "")), ("1.2", True, None), ("01.2.3", True, None),
    ("1.2.3-rc.1+build.5", True, (1, 2, 3, "rc.1", "build.5")), ("1.2", False, (1, 2, 0, "", "")),
    ("01.2.3", False, (1, 2, 3, "", "")), ("1.2.3-01", False, None), ("18446744073709551616.0.0", False, None),
    ("1.2.3\n", False, None), ("V1.2.3", False, None),
])
def test_parse_version(text, strict, parsed):
    """As Masterminds reads each: its parts (a missing one 0, a `v` and leading zeros dropped), or refused."""
    if parsed is None:
        with pytest.raises(ValueError):
            parse_version(text, strict=strict)
        return
    version = parse_version(text, strict=strict)
    assert (version.major, version.minor, version.patch, version.prerelease, version.metadata) == parsed
    assert version.original == text


def test_precedence_follows_semver():
    ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
               "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "2.0.0"]
    parsed = [parse_version(text) for text in ordered]
    assert sorted(reversed(parsed)) == parsed
    assert parse_version("1.0.0+a") == parse_version("1.0.0+b")
