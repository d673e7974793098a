"""What an OCIRepository's ref pulls (repository/oci_ref.py), as source-controller reads it."""

from __future__ import annotations

import pytest

from flux_cookbook.repository.oci_ref import pulled


@pytest.mark.parametrize(("digest", "semver", "tag", "expected"), [
    # A digest wins over everything: one artifact.
    ("sha256:abc", "6.x", "6.5.0", ("", "digest sha256:abc")),
    # A semver range wins over a tag.
    ("", ">=6.0.0 <7.0.0", "6.5.0", (">=6.0.0 <7.0.0", "")),
    # A tag that is a version is one; any other tag pins.
    ("", "", "6.5.0", ("6.5.0", "")),
    ("", "", "main", ("", "tag main")),
    # No ref, or one naming none of the three: the tag `latest`.
    ("", "", "", ("", "tag latest")),
    # postBuild fills a tag in: the range it will be.
    ("", "", "${CHART_VERSION}", ("${CHART_VERSION}", "")),
])
def test_a_ref_pulls_what_source_controller_pulls(digest, semver, tag, expected):
    assert pulled(digest, semver, tag) == expected
