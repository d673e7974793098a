"""Checks on the answers a user types.

Each function returns an error message naming the problem, or "" when the value is fine:
copier shows a validator's non-empty output and refuses the answer before any file is
written.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .semver_range import parse_constraint

# Kubernetes object and namespace names (RFC 1123 label, as `kubectl` enforces them).
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_LABEL_MAX = 63
# Helm stores a release in a Secret named sh.helm.release.v1.<name>.v<N>; Helm caps the
# release name at 53 characters so that name still fits.
HELM_RELEASE_NAME_MAX = 53
# Helm chart names: lower case letters, digits, dashes; dots and underscores occur in
# published charts, so they are accepted too.
_CHART_NAME = re.compile(r"^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$")



def dns1123_label_error(value: object, what: str) -> str:
    """Why `value` cannot name a Kubernetes namespace or object, or ""."""
    text = str(value)
    if not text:
        return f"{what} must not be empty."
    if len(text) > DNS1123_LABEL_MAX:
        return f"{what} '{text}' is {len(text)} characters long; at most {DNS1123_LABEL_MAX} are allowed."
    if not _DNS1123_LABEL.match(text):
        return (
            f"{what} '{text}' is not a valid DNS-1123 label: use lower case letters, digits "
            "and '-', starting and ending with a letter or digit."
        )
    return ""


def release_name_error(value: object) -> str:
    """Why `value` cannot be a Helm release name, or ""."""
    text = str(value)
    if error := dns1123_label_error(text, "release_name"):
        return error
    if len(text) > HELM_RELEASE_NAME_MAX:
        return (
            f"release_name '{text}' is {len(text)} characters long; Helm allows at most "
            f"{HELM_RELEASE_NAME_MAX}."
        )
    return ""


def chart_name_error(value: object) -> str:
    """Why `value` cannot be a Helm chart name, or ""."""
    text = str(value)
    if not _CHART_NAME.match(text):
        return (
            f"chart '{text}' is not a valid chart name: use lower case letters, digits, "
            "'-', '.' and '_'."
        )
    return ""


def chart_version_error(value: object) -> str:
    """Why `value` is not a version or range Helm and Flux accept (Masterminds semver), or ""."""
    text = str(value).strip()
    if not text:
        return "chart_version must not be empty: give a version (6.5.0) or a range (6.x, >=6.0.0 <7.0.0)."
    try:
        parse_constraint(text)
    except ValueError:
        return (
            f"chart_version '{text}' is not a semver version or range "
            "(examples: 6.5.0, 6.x, ~6.5, ^6.1, >=6.0.0 <7.0.0, 1.2 - 1.4)."
        )
    return ""


def helm_repo_url_error(value: object) -> str:
    """Why `value` is not a Helm repository URL Flux can use, or ""."""
    text = str(value).strip()
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https", "oci"}:
        return f"helm_repo_url '{text}' must start with https://, http:// or oci://."
    if not parts.hostname or any(ch.isspace() for ch in text):
        return f"helm_repo_url '{text}' has no valid host name."
    return ""


def interval_error(value: object, what: str) -> str:
    """Why `value` is not a Go duration such as 1m or 1h30m (the Flux CRDs' pattern), or ""."""
    text = str(value)
    if not re.fullmatch(r"([0-9]+(\.[0-9]+)?(ms|s|m|h))+", text):
        return f"{what} '{text}' is not a duration such as 30s, 15m or 1h."
    return ""


def git_url_error(value: object) -> str:
    """Why `value` is not a Git URL Flux's GitRepository accepts, or ""."""
    text = str(value).strip()
    if not re.fullmatch(r"(https?|ssh)://\S+|[\w.-]+@[\w.-]+:\S+", text):
        return f"repo_url '{text}' must be an http(s)://, ssh:// or git@host:path URL."
    return ""


def github_name_error(value: object, what: str) -> str:
    """Why `value` is not a GitHub account or repository name, or ""."""
    text = str(value)
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,99})", text):
        return f"{what} '{text}' is not a GitHub name: letters, digits, '-', '_' and '.'."
    return ""


def branch_error(value: object) -> str:
    """Why `value` is not a usable Git branch name, or ""."""
    text = str(value)
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", text) or ".." in text or text.startswith(("/", "-")) or text.endswith(("/", ".lock")):
        return f"branch '{text}' is not a valid Git branch name."
    return ""


def apps_dir_error(value: object, bootstrap_dir: object = "") -> str:
    """Why `value` cannot be the folder holding the apps' folders, or "" ("" = the root)."""
    text = str(value if value is not None else "")
    if not text:
        return ""
    parts = text.strip("/").split("/")
    if text.startswith("/") or any(part in ("", ".", "..") for part in parts):
        return f"apps_dir '{text}' must be a folder inside the repository, like apps or clusters/apps (no '..', not absolute)."
    for part in parts:
        if error := dns1123_label_error(part, "each folder of apps_dir"):
            return error
    if parts[0] == str(bootstrap_dir):
        return f"apps_dir '{text}' lies in the bootstrap folder {bootstrap_dir}/, whose Kustomization would apply every app twice."
    return ""
