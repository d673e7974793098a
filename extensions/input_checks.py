"""Checks on the answers a user types.

Each function returns an error message naming the problem, or "" when the value is fine:
copier shows a validator's non-empty output and refuses the answer before any file is
written.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from .kube_names import dns1123_label_error

# Helm stores a release in a Secret named sh.helm.release.v1.<name>.v<N>; Helm caps the
# release name at 53 characters so that name still fits.
HELM_RELEASE_NAME_MAX = 53
# Helm chart names: lower case letters, digits, dashes; dots and underscores occur in
# published charts, so they are accepted too.
_CHART_NAME = re.compile(r"^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$")
# Lone surrogates are what Python makes of bytes that are not UTF-8 (in `-d name=...`, or
# a `\uD800` escape in a YAML answer): no text at all. A YAML file can hold them only as
# an escape, which Go's readers turn into U+FFFD.
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def not_text_error(value: object, what: str) -> str:
    """Why `value` (a string, or lists and mappings of them) holds something that is not
    Unicode text, or ""."""
    if isinstance(value, dict):
        return next((e for item in value.items() if (e := not_text_error(list(item), what))), "")
    if isinstance(value, list):
        return next((e for item in value if (e := not_text_error(item, what))), "")
    found = _SURROGATE.search(value) if isinstance(value, str) else None
    if found:
        return (f"{what} holds U+{ord(found.group()):04X} at character {found.start() + 1} of {value!r}, "
                "which is not a character (bytes that are not UTF-8?): use UTF-8 text.")
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
    from .semver_range import parse_constraint  # its patterns compile on import: only apps need them

    try:
        parse_constraint(text)
    except ValueError:
        return (
            f"chart_version '{text}' is not a semver version or range "
            "(examples: 6.5.0, 6.x, ~6.5, ^6.1, >=6.0.0 <7.0.0, 1.2 - 1.4)."
        )
    return ""


# A path component of an OCI repository name (the OCI distribution spec).
_OCI_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*")


def helm_repo_url_error(value: object) -> str:
    """Why `value` is not a Helm repository URL Flux can use, or ""."""
    text = str(value).strip()
    if error := not_text_error(text, "helm_repo_url"):
        return error
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https", "oci"}:
        return f"helm_repo_url '{text}' must start with https://, http:// or oci://."
    if not parts.hostname or any(ch.isspace() for ch in text):
        return f"helm_repo_url '{text}' has no valid host name."
    path = parts.path.strip("/")
    if parts.scheme == "oci" and (parts.query or parts.fragment or path and not all(
            _OCI_PATH_COMPONENT.fullmatch(component) for component in path.split("/"))):
        # The distribution spec's repository name: Flux cannot pull from any other.
        return (f"helm_repo_url '{text}': an OCI repository's path is lower-case letters and digits, with . _ - "
                "between them, and no :tag or @digest (the chart's version is chart_version).")
    return url_safety_error(text, "helm_repo_url", "give the HelmRepository a secretRef to a Secret you seal (flux-cookbook seal)")


# What a shell reads as more than a word: the README and the notes print the URLs into
# commands to paste (flux bootstrap --url=..., helm show values --repo ...).
SHELL_SPECIAL = set(";|&$`\\'\"<>(){}!*?[]")


def url_safety_error(text: str, what: str, instead: str) -> str:
    """Why the URL `text` must not be written as it is, or "": a password in it would be
    committed in plain text (answers, manifests, README), and a character a shell reads
    would make the printed commands do something else."""
    if urlsplit(text).password is not None:
        return f"{what} holds a password (user:password@): it would be committed in plain text. Give the URL without it, and {instead}."
    if special := sorted(SHELL_SPECIAL.intersection(text)):
        return f"{what} '{text}' holds {' '.join(special)}, which the commands this repository prints would mangle."
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
    if error := not_text_error(text, "repo_url"):
        return error
    if not re.fullmatch(r"(https?|ssh)://\S+|[\w.-]+@[\w.-]+:\S+", text):
        return f"repo_url '{text}' must be an http(s)://, ssh:// or git@host:path URL."
    return url_safety_error(text, "repo_url", "give them to flux bootstrap (--password, or an SSH key), which keeps them in the cluster")


# GitHub's own rules, as its sign-up and new-repository forms enforce them.
GITHUB_OWNER_MAX = 39
GITHUB_REPOSITORY_MAX = 100
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*")
_GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9._-]+")


def github_owner_error(value: object, what: str = "repo_owner") -> str:
    """Why `value` is not a GitHub user or organisation name, or ""."""
    text = str(value)
    if len(text) > GITHUB_OWNER_MAX:
        return f"{what} '{text}' is {len(text)} characters long; GitHub allows at most {GITHUB_OWNER_MAX}."
    if not _GITHUB_OWNER.fullmatch(text):
        return (
            f"{what} '{text}' is not a GitHub user or organisation name: letters, digits and single "
            "hyphens, not at the start or end."
        )
    return ""


def github_repository_error(value: object, what: str = "repo_name") -> str:
    """Why `value` is not a GitHub repository name, or ""."""
    text = str(value)
    if len(text) > GITHUB_REPOSITORY_MAX:
        return f"{what} '{text}' is {len(text)} characters long; GitHub allows at most {GITHUB_REPOSITORY_MAX}."
    if not _GITHUB_REPOSITORY.fullmatch(text) or text in {".", ".."}:
        return f"{what} '{text}' is not a GitHub repository name: letters, digits, '.', '-' and '_', not '.' or '..'."
    return ""



def bootstrap_dir_error(value: object) -> str:
    """Why `value` cannot be the bootstrap folder, or "": a folder path relative to the
    repository's root (`bootstrap`, `clusters/home`) whose every folder name is a DNS-1123
    label, as `flux bootstrap --path` and the Kustomization names built from it need."""
    text = str(value)
    if not text:
        return "bootstrap_dir must not be empty: give a folder such as bootstrap or clusters/home."
    for segment in text.split("/"):
        if not segment:
            return (f"bootstrap_dir '{text}' must be a relative folder path such as clusters/home: "
                    "no leading, trailing or doubled '/'.")
        what = "bootstrap_dir" if segment == text else f"bootstrap_dir '{text}': folder"
        if error := dns1123_label_error(segment, what):
            return error
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
    # The bootstrap folder may be nested (clusters/home): apps_dir lies in it when it starts
    # with all of its folders.
    bootstrap = [part for part in str(bootstrap_dir or "").strip("/").split("/") if part]
    if bootstrap and parts[:len(bootstrap)] == bootstrap:
        return f"apps_dir '{text}' lies in the bootstrap folder {'/'.join(bootstrap)}/, whose Kustomization would apply every app twice."
    return ""
