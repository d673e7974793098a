"""Helm's own rule for values: how the user's values combine with the chart's defaults."""

from __future__ import annotations

from typing import Any


def coalesce(defaults: Any, values: Any) -> Any:
    """Helm's merge of user values onto the chart's: mappings key by key, anything else
    replaced, and a null removes the chart's key. A null at a key the chart does not have
    stays, as in Helm (its coalesceValues deletes only the chart's keys), so a schema that
    closes the mapping still refuses it."""
    if not isinstance(defaults, dict) or not isinstance(values, dict):
        return values
    merged = dict(defaults)
    for key, value in values.items():
        if value is None and key in defaults:
            merged.pop(key)
        else:
            merged[key] = coalesce(defaults.get(key), value)
    return merged
