"""The `flux bootstrap` command a new repository's README gives, for its Git host.

`flux bootstrap github` for a repository on github.com; `flux bootstrap git` for any
other host, with the flags Flux 2.9 needs for the URL's scheme:
- ssh:// (and scp-like `git@host:path`, which `flux bootstrap git` cannot parse, as the
  ssh:// URL it means): a private key that may push (`--private-key-file`; without it
  Flux tries the SSH agent), stored in the cluster as the secret flux-system;
- https://: HTTP basic auth with a token (`--token-auth`: Flux syncs over HTTPS with it
  instead of switching to SSH and a deploy key). The token comes from GIT_PASSWORD, or
  flux asks for it;
- http://: the same, and `--allow-insecure-http` (flux refuses plain HTTP otherwise).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# git's scp-like syntax; Git hosts (GitLab, Gitea, Bitbucket...) serve `git@host:owner/repo`
# and `ssh://git@host/owner/repo` alike.
_SCP_LIKE = re.compile(r"(?P<user>[\w.-]+)@(?P<host>[\w.-]+):/?(?P<path>.+)")


def on_github(repo_url: str) -> bool:
    """Is the repository on github.com (so `flux bootstrap github` applies)?"""
    return (urlsplit(bootstrap_git_url(repo_url)).hostname or "").lower() == "github.com"


def bootstrap_git_url(repo_url: str) -> str:
    """`repo_url` as `flux bootstrap git --url` takes it (scp-like git@host:path as ssh://)."""
    url = str(repo_url).strip()
    scp = _SCP_LIKE.fullmatch(url)
    if scp and "://" not in url:
        return f"ssh://{scp['user']}@{scp['host']}/{scp['path']}"
    return url


def bootstrap_git_auth(repo_url: str) -> list[str]:
    """The authentication flags `flux bootstrap git` needs for this URL's scheme."""
    scheme = urlsplit(bootstrap_git_url(repo_url)).scheme
    if scheme == "ssh":
        return ["--private-key-file=<path/to/private.key>"]
    flags = ["--username=<user>", "--token-auth"]
    return flags + ["--allow-insecure-http"] if scheme == "http" else flags
