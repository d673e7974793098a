"""extensions/conventions.py: which convention each template release writes."""

from __future__ import annotations

import pytest

from flux_cookbook.extensions import conventions


@pytest.mark.parametrize("commit, expected", [
    ("v1.0.0", conventions.COOKBOOK), ("1.0.0", conventions.COOKBOOK), ("v1.9.3-2-gabc1234", conventions.COOKBOOK),
    ("v2.0.0", conventions.FLUX_2_9), ("v3.1.0", conventions.FLUX_2_9), ("v2.0.0-3-gabc1234", conventions.FLUX_2_9),
    ("0.9.0", None), ("f0e58c4991c3ac4946b210d0883b868745a0b6e3", None), ("", None), ("HEAD", None),
])
def test_a_release_writes_the_convention_current_at_it(commit, expected):
    assert conventions.of_release(commit) is expected
