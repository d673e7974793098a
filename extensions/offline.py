"""FLUX_COOKBOOK_OFFLINE: set, no request leaves this machine (a chart fetch, a redirect's
target); its own loopback, where the tests serve charts, stays reachable."""

from __future__ import annotations

import ipaddress
import os

VARIABLE = "FLUX_COOKBOOK_OFFLINE"


def refuses(host: str) -> bool:
    """Whether FLUX_COOKBOOK_OFFLINE keeps every request to `host` from being made."""
    return bool(os.environ.get(VARIABLE)) and not _is_loopback(host)


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
