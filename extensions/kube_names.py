"""Kubernetes' rules for names, as the API server checks them: the one place they are spelled.

Object names are DNS-1123 subdomains, namespaces (and a few kinds' names) DNS-1123
labels; the answers' checks (input_checks), check's metadata rule and seal all ask here.
Each `*_error` function returns a message naming the problem, or "" when the name is
fine. They are about names and keys only: none of them ever sees a secret value.
(k8s.io/apimachinery/pkg/util/validation: IsDNS1123Label, IsDNS1123Subdomain,
IsConfigMapKey, IsQualifiedName, IsValidLabelValue.)
"""

from __future__ import annotations

import re

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_MAX = 63

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(rf"{_DNS1123_LABEL.pattern}(\.{_DNS1123_LABEL.pattern})*")
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")
# The name part of a label or annotation key, and a label's value (which may be empty).
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")


def is_dns1123_label(text: str) -> bool:
    """Lower case letters, digits and '-', starting and ending with a letter or digit (any length)."""
    return bool(_DNS1123_LABEL.fullmatch(text))


def is_dns1123_subdomain(text: str) -> bool:
    """DNS-1123 labels joined by '.' (any length)."""
    return bool(_DNS1123_SUBDOMAIN.fullmatch(text))


def dns1123_label_error(value: object, what: str) -> str:
    """Why `value` cannot name a Kubernetes namespace or object (a DNS-1123 label, as
    `kubectl` enforces it), or ""."""
    return _name_error(str(value), what, DNS1123_LABEL_MAX, is_dns1123_label,
                       "DNS-1123 label: use lower case letters, digits and '-'")


def dns1123_subdomain_error(value: str, what: str) -> str:
    """Why `value` cannot name a Kubernetes object (a Secret, a SealedSecret), or ""."""
    return _name_error(value, what, DNS1123_SUBDOMAIN_MAX, is_dns1123_subdomain,
                       "DNS-1123 subdomain: use lower case letters, digits, '-' and '.'")


def _name_error(text: str, what: str, longest: int, valid, rule: str) -> str:
    if not text:
        return f"{what} must not be empty."
    if len(text) > longest:
        return f"{what} '{text}' is {len(text)} characters long; at most {longest} are allowed."
    if not valid(text):
        return f"{what} '{text}' is not a valid {rule}, starting and ending with a letter or digit."
    return ""


def secret_key_error(key: str, named: str = "") -> str:
    """Why `key` cannot be a key of a Secret's data, or "". `named`: how the message names
    the key instead of quoting it (text that may be a secret is not shown)."""
    if not key:
        return "a secret key must not be empty."
    name = named or f"'{key}'"
    if len(key) > DNS1123_SUBDOMAIN_MAX:
        length = "is longer" if named else f"is {len(key)} characters long"
        return f"secret key {name} {length}; at most {DNS1123_SUBDOMAIN_MAX} characters are allowed."
    if not _SECRET_KEY.fullmatch(key):
        return f"secret key {name} may only contain letters, digits, '-', '_' and '.'."
    if key in (".", "..") or key.startswith(".."):
        return f"secret key {name} must not be '.' or '..' nor start with '..'."
    return ""


def qualified_name_error(key: str, what: str) -> str:
    """Why `key` cannot be a label or annotation key ([prefix/]name), or ""."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or dns1123_subdomain_error(prefix, "prefix")):
        return f"{what} '{key}': the part before '/' must be a DNS-1123 subdomain such as example.com."
    if not name:
        return f"{what} '{key}' has no name."
    if len(name) > QUALIFIED_NAME_MAX:
        return f"{what} '{key}': the name after any prefix is longer than {QUALIFIED_NAME_MAX} characters."
    if not _QUALIFIED_NAME.fullmatch(name):
        return (
            f"{what} '{key}' is not valid: use letters, digits, '-', '_' and '.', starting and ending "
            "with a letter or digit, optionally after a prefix such as example.com/."
        )
    return ""


def label_value_error(key: str, value: str) -> str:
    """Why `value` cannot be the value of label `key`, or ""."""
    if len(value) > LABEL_VALUE_MAX:
        return f"label {key}: its value is longer than {LABEL_VALUE_MAX} characters."
    if value and not _QUALIFIED_NAME.fullmatch(value):
        return (
            f"label {key}: value '{value}' is not valid: use letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit (or leave it empty)."
        )
    return ""


def metadata_entry_error(what: str, key: str, value: str) -> str:
    """Why `key: value` cannot be a label (`what` "label") or an annotation of an object, or ""."""
    return qualified_name_error(key, f"{what} key") or (label_value_error(key, value) if what == "label" else "")
