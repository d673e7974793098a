"""Helm's own rule for values: how the user's values combine with the chart's defaults."""

from __future__ import annotations

from typing import Any


def coalesce(defaults: Any, values: Any) -> Any:
    """Helm's merge of user values onto the chart's: mappings key by key, anything else
    replaced, and a null removes the chart's key."""
    if not isinstance(defaults, dict) or not isinstance(values, dict):
        return values
    merged = dict(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = coalesce(defaults.get(key), value)
    return merged
