"""What an OCIRepository's `spec.ref` pulls, as source-controller reads it.

One rule for check (which chart version to hold values against) and values refresh
(which range the app's chart moves within): a digest pins one artifact and wins over a
semver range, which wins over a tag. A ref naming none of them, or no ref, pulls the tag
`latest` (the CRD: ref "defaults to the latest tag"). A tag is a version when it parses as
one, else a pin (`main`, `latest`).
"""

from __future__ import annotations

from flux_cookbook.extensions.semver_range import parse_version


def pulled(digest: str, semver: str, tag: str) -> tuple[str, str]:
    """(version range, pin) of a ref's `digest`, `semver` and `tag` ("" where unset):
    exactly one of them is non-empty. A `${VAR}` tag, which postBuild fills in, is taken
    as the range it will be."""
    if digest:
        return "", f"digest {digest}"
    if semver or "${" in tag:
        return semver or tag, ""
    tag = tag or "latest"
    try:
        parse_version(tag)
    except ValueError:
        return "", f"tag {tag}"
    return tag, ""
