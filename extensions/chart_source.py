"""Fetch a chart's values.yaml from the app's Helm repository, as Flux would resolve it.

The values ConfigMap carries the chart's whole values.yaml, so adding an app needs the
values of the very chart version Flux will install: the newest version in the app's
`chart_version` range, from an HTTP(S) Helm repository (its index.yaml) or an OCI registry
(its tags). Both are remote input, so everything is bounded: time-outs, size caps, digests
checked, and an archive with anything but plain files and folders is refused whole
(nothing is ever extracted to disk). Archives are cached per chart version, never the
index, so a new release is seen and an exact version still works offline.

Every failure is a ChartFetchError naming the URL and the cause; RepositoryUnreachable
when the repository could not be reached at all, so the caller can offer a placeholder.
Standard library only (urllib) plus PyYAML.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import json
import re
import socket
import ssl
import tarfile
import time
import urllib.error
import urllib.request
import zlib
from dataclasses import dataclass
from email.message import Message
from glob import escape as glob_escape
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode, urljoin, urlsplit

import yaml

from . import bounded_yaml, http_guard, offline, repo_files, user_cache
from .input_checks import chart_name_error
from .semver_range import Constraint, newest_matching, parse_constraint, parse_version

MIB = 1024 * 1024
MAX_INDEX_BYTES = 20 * MIB
MAX_ARCHIVE_BYTES = 50 * MIB
MAX_JSON_BYTES = 4 * MIB  # an OCI manifest, tag page or token answer
MAX_VALUES_BYTES = 2 * MIB
# Helm refuses charts that unpack to more than 100 MiB; a gzip bomb stops here too.
MAX_UNPACKED_BYTES = 100 * MIB
MAX_ARCHIVE_MEMBERS = 10_000
MAX_TAG_PAGES = 100
TIMEOUT_SECONDS = 20.0
MAX_REDIRECTS = 3
NEWEST_LISTED = 5

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
# Plain http to a registry only on this machine (a local test registry): Helm and Flux
# speak https to every other registry.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_DIGEST = re.compile(r"(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})")
_USER_AGENT = "flux-cookbook-template (chart values fetcher)"
# Servers (scheme://host:port) that let a request run out of time in this process, and how:
# asked again, each chart and app on them would wait out TIMEOUT_SECONDS once more (a bot's
# `values refresh --all` against a repository that hangs, one wait per chart).
SILENT_SERVERS: dict[str, str] = {}

class ChartFetchError(Exception):
    """The chart's values could not be fetched; the message says where and why."""


class RepositoryUnreachable(ChartFetchError):
    """The repository did not answer: no connection, no DNS name, time-out, TLS failure."""


class NotInRepository(ChartFetchError):
    """The repository answered: it has no such chart, or no version of it in the range."""


@dataclass(frozen=True)
class FetchedValues:
    text: str  # the chart's values.yaml, as in the chart (a UTF-8 BOM dropped)
    version: str  # the exact chart version the range resolved to
    source: str  # for people: "<repo_url> <chart> <version>"


def default_cache_dir() -> Path:
    return user_cache.folder("charts")


def fetch_values(repo_url: str, chart: str, constraint: str, cache_dir: Path | None = None) -> FetchedValues:
    """The values.yaml of the newest `chart` version in `constraint` at `repo_url`.

    `repo_url` is what the HelmRepository's `spec.url` holds: an http(s) repository or
    `oci://registry/path` (the chart's repository is `path/chart` there).
    """
    if error := chart_name_error(chart):
        raise ChartFetchError(error)
    try:
        wanted = parse_constraint(constraint)
    except ValueError as error:
        raise ChartFetchError(f"chart_version {error}") from None
    repo_url = repo_url.strip().rstrip("/")
    repository = _repository(repo_url, chart)
    cache = _ArchiveCache(Path(cache_dir) if cache_dir else default_cache_dir(), repo_url, chart)
    version, archive, where = _resolve_archive(repository, wanted, cache)
    try:
        text = safe_archive_values(archive, chart)
        _check_values_yaml(text)
    except ChartFetchError as error:
        raise ChartFetchError(f"{where}: {error}") from None
    return FetchedValues(text=text, version=version, source=f"{repo_url} {chart} {version}")


def _resolve_archive(repository: _Repository, wanted: Constraint, cache: _ArchiveCache) -> tuple[str, bytes, str]:
    """(version, archive bytes, where they came from) for the newest matching version."""
    try:
        available = repository.versions()
    except (RepositoryUnreachable, _HttpStatusError):
        # Offline updates: an exact version fetched before comes from the cache. A range
        # cannot: only the index knows which version is newest now.
        exact = wanted.exact_version()
        cached = cache.get(exact) if exact else None
        if cached is None:
            raise
        return exact, cached, str(cache.path(exact))
    version = _newest(available, wanted, repository)
    artifact = repository.artifact(version, available[version])
    cached = cache.get(version, artifact.digest)
    if cached is not None:
        return version, cached, str(cache.path(version))
    archive = repository.download(artifact)
    _verify_digest(archive, artifact)
    cache.put(version, archive)
    return version, archive, artifact.url


def _newest(available: dict[str, Any], wanted: Constraint, repository: _Repository) -> str:
    version = newest_matching(available, wanted.text)
    if version is not None:
        return version
    newest = sorted(available, key=parse_version, reverse=True)[:NEWEST_LISTED]
    raise NotInRepository(
        f"{repository.where}: no version of chart '{repository.chart}' matches '{wanted.text}'; "
        f"the newest there: {', '.join(newest) or 'none'}."
    )


def _check_values_yaml(text: str) -> None:
    try:
        values = bounded_yaml.load(text, "values.yaml")
    except yaml.YAMLError as error:
        raise ChartFetchError(f"values.yaml is not YAML, or over a limit: {error}") from None
    if values is not None and not isinstance(values, dict):
        raise ChartFetchError("values.yaml is not a mapping of values.")


# --- one exact version, and every version ---------------------------------------------

@dataclass(frozen=True)
class ChartListing:
    """The versions a repository has of one chart, as one fetch of its index or tags saw them."""

    repo_url: str
    chart: str
    where: str  # the index or registry URL, for messages
    entries: dict[str, Any]  # version -> its index entry (HTTP) or tag (OCI)

    @property
    def versions(self) -> list[str]:
        return list(self.entries)

    def newest(self, constraint: str) -> str | None:
        """The version Flux installs for the range `constraint`, or None."""
        return newest_matching(self.entries, constraint)


def list_versions(repo_url: str, chart: str, indexes: dict[str, bytes] | None = None) -> ChartListing:
    """Every version of `chart` at `repo_url`; ChartFetchError (RepositoryUnreachable) if
    the repository cannot tell. `indexes` shares index fetches between calls."""
    if error := chart_name_error(chart):
        raise ChartFetchError(error)
    repo_url = repo_url.strip().rstrip("/")
    repository = _repository(repo_url, chart, indexes)
    try:
        entries = repository.versions()
    except _HttpStatusError as error:
        raise ChartFetchError(str(error)) from None
    return ChartListing(repo_url, chart, repository.where, entries)


def fetch_chart_files(
    repo_url: str, chart: str, version: str, names: tuple[str, ...] = ("values.yaml",),
    listing: ChartListing | None = None, cache_dir: Path | None = None,
) -> dict[str, str]:
    """The files `names` of `chart` at exactly `version` (those it has), by name.

    An archive already in the cache is read from there without asking the repository
    (checked against the index digest when `listing` is given), so versions fetched
    once work offline; any other is downloaded, checked and cached.
    """
    repo_url = repo_url.strip().rstrip("/")
    cache = _ArchiveCache(Path(cache_dir) if cache_dir else default_cache_dir(), repo_url, chart)
    archive = cache.get(version) if listing is None else None
    where = str(cache.path(version))
    if archive is None:
        listing = listing or list_versions(repo_url, chart)
        if version not in listing.entries:
            newest = sorted(listing.entries, key=parse_version, reverse=True)[:NEWEST_LISTED]
            raise ChartFetchError(
                f"{listing.where} has no version {version} of chart '{chart}'; the newest there: "
                f"{', '.join(newest) or 'none'}."
            )
        repository = _repository(repo_url, chart)
        artifact = repository.artifact(version, listing.entries[version])
        archive = cache.get(version, artifact.digest)
        if archive is None:
            archive = repository.download(artifact)
            _verify_digest(archive, artifact)
            cache.put(version, archive)
            where = artifact.url
    try:
        return safe_archive_files(archive, chart, names)
    except ChartFetchError as error:
        raise ChartFetchError(f"{where}: {error}") from None


# --- archives -------------------------------------------------------------------------

def safe_archive_values(archive: Path | str | bytes, chart: str) -> str:
    """`<chart>/values.yaml` of a chart archive, read without extracting anything.

    The whole archive is refused if any member has an absolute path or `..`, is a link,
    device or FIFO, or if it unpacks too large; the values file must be UTF-8 and at
    most 2 MiB. A chart without values.yaml has empty values (""). Raises ChartFetchError.
    """
    return safe_archive_files(archive, chart, ("values.yaml",)).get("values.yaml", "")


def safe_archive_files(archive: Path | str | bytes, chart: str, names: tuple[str, ...]) -> dict[str, str]:
    """The files `<chart>/<name>` of a chart archive that it has, as text, by name.

    Read as safe_archive_values reads values.yaml (same refusals and limits).
    """
    source = {"fileobj": io.BytesIO(archive)} if isinstance(archive, bytes) else {"name": str(archive)}
    wanted = {f"{chart}/{name}": name for name in names}
    found: dict[str, bytes] = {}
    chart_seen = False
    try:
        with tarfile.open(mode="r:gz", **source) as tar:
            unpacked = 0
            for count, member in enumerate(tar, start=1):
                name = _checked_member_name(member)
                unpacked += member.size
                if count > MAX_ARCHIVE_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
                    raise ChartFetchError(
                        f"chart archive unpacks to more than {MAX_ARCHIVE_MEMBERS} files or "
                        f"{MAX_UNPACKED_BYTES // MIB} MiB; refused."
                    )
                chart_seen = chart_seen or name.split("/")[0] == chart
                if name in wanted:
                    found[name] = _read_member(tar, member, name in found)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise ChartFetchError(f"not a readable chart archive (.tgz): {error}") from None
    if not chart_seen:
        raise ChartFetchError(f"the chart archive has no folder '{chart}/'; is '{chart}' the chart's name?")
    texts = {}
    for member, data in found.items():
        try:
            texts[wanted[member]] = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ChartFetchError(f"{member} in the chart archive is not UTF-8 text.") from None
    return texts


def _checked_member_name(member: tarfile.TarInfo) -> str:
    """The member's path without `./` parts; ChartFetchError if it is not a plain file or folder."""
    name = member.name
    parts = re.split(r"[/\\]", name)
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        raise ChartFetchError(f"unsafe chart archive: member '{name}' has an absolute path.")
    if ".." in parts:
        raise ChartFetchError(f"unsafe chart archive: member '{name}' leads out of the archive ('..').")
    if not (member.isreg() or member.isdir()):
        raise ChartFetchError(f"unsafe chart archive: member '{name}' is {_member_kind(member)}, not a file.")
    return "/".join(part for part in parts if part not in ("", "."))


def _member_kind(member: tarfile.TarInfo) -> str:
    if member.issym():
        return f"a symbolic link to '{member.linkname}'"
    if member.islnk():
        return f"a hard link to '{member.linkname}'"
    if member.ischr() or member.isblk():
        return "a device"
    if member.isfifo():
        return "a FIFO"
    return f"of tar type {member.type!r}"


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, seen_before: bool) -> bytes:
    if seen_before:
        raise ChartFetchError(f"unsafe chart archive: it holds '{member.name}' twice.")
    if not member.isreg():
        raise ChartFetchError(f"'{member.name}' in the chart archive is not a file.")
    if member.size > MAX_VALUES_BYTES:
        raise ChartFetchError(f"'{member.name}' in the chart archive is over {MAX_VALUES_BYTES // MIB} MiB.")
    return tar.extractfile(member).read()


def _verify_digest(data: bytes, artifact: _Artifact) -> None:
    if not artifact.digest:
        return
    actual = _digest_of(data, artifact.digest)
    if actual != artifact.digest:
        raise ChartFetchError(
            f"{artifact.url}: digest mismatch: expected {artifact.digest}, got {actual}; "
            "the download is corrupt or the chart was replaced."
        )


def _digest_of(data: bytes, like: str) -> str:
    """`data`'s digest in the form of `like`: `sha256:<hex>`/`sha512:<hex>`, or bare sha256 hex."""
    algorithm, colon, _ = like.rpartition(":")
    return f"{algorithm}{colon}{hashlib.new(algorithm or 'sha256', data).hexdigest()}"


# --- cache ----------------------------------------------------------------------------

class _ArchiveCache:
    """Chart archives per (repository URL, chart, version). Best effort: a cache that
    cannot be read or written is a miss, never an error."""

    def __init__(self, root: Path, repo_url: str, chart: str):
        key = hashlib.sha256(f"{repo_url}\n{chart}".encode()).hexdigest()[:32]
        self.folder = root / key
        self.chart = chart

    def path(self, version: str) -> Path:
        return self.folder / f"{self.chart}-{version}.tgz"

    def get(self, version: str, digest: str | None = None) -> bytes | None:
        """The cached archive, or None; with `digest`, only an archive that has it."""
        try:
            data = self.path(version).read_bytes()
        except OSError:
            return None
        if digest and _digest_of(data, digest) != digest:
            return None  # republished under the same version: fetch it again
        return data

    def put(self, version: str, data: bytes) -> None:
        # Whole or not at all, so a reader never sees half an archive; only a cache, so a
        # write that fails leaves it without this version.
        with contextlib.suppress(OSError):
            repo_files.replace_whole(self.path(version), data)


def cached_archives(repo_url: str, chart: str, cache_dir: Path | None = None) -> dict[str, Path]:
    """The versions of `chart` from `repo_url` that earlier fetches left in the cache, and
    their archives. Never touches the network; an unreadable cache holds nothing."""
    cache = _ArchiveCache(Path(cache_dir) if cache_dir else default_cache_dir(), repo_url.strip().rstrip("/"), chart)
    prefix, found = f"{chart}-", {}
    try:
        for path in cache.folder.glob(f"{glob_escape(prefix)}*.tgz"):
            found[path.name[len(prefix):-len(".tgz")]] = path
    except OSError:
        return {}
    return found


# --- HTTP -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _Response:
    url: str  # after redirects
    headers: Message
    body: bytes


class _HttpStatusError(ChartFetchError):
    def __init__(self, message: str, status: int, headers: Message):
        super().__init__(message)
        self.status = status
        self.headers = headers


def _http_get(url: str, limit: int, accept: str | None = None, token: str | None = None) -> _Response:
    """GET `url` into memory, at most `limit` bytes within TIMEOUT_SECONDS."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ChartFetchError(f"{url}: only http(s) URLs are fetched.")
    # Every request of every command goes through here, redirects too: FLUX_COOKBOOK_OFFLINE
    # holds for all.
    _stay_offline(url)
    if refused := http_guard.refusal(url):
        raise ChartFetchError(refused)
    redirects = http_guard.Redirects(MAX_REDIRECTS, ChartFetchError, lambda source, target: _stay_offline(target, source))
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    if accept:
        request.add_header("Accept", accept)
    if token:
        # Unredirected: a registry redirecting a blob to storage elsewhere must not
        # hand that host the registry token.
        request.add_unredirected_header("Authorization", f"Bearer {token}")
    if silent := SILENT_SERVERS.get(_server(url)):
        raise RepositoryUnreachable(f"cannot reach {url}: {silent} earlier in this run (not asked again).")
    deadline = time.monotonic() + TIMEOUT_SECONDS
    try:
        with http_guard.opener(redirects).open(request, timeout=TIMEOUT_SECONDS) as response:
            return _Response(response.geturl(), response.headers, _read_capped(response, url, limit, deadline))
    except _OutOfTime as error:
        SILENT_SERVERS[_server(redirects.followed[-1] if redirects.followed else url)] = error.cause
        raise RepositoryUnreachable(f"cannot reach {url}: {error.cause}.") from None
    except urllib.error.HTTPError as error:
        error.close()
        if error.code in (301, 302, 303, 307, 308):
            raise ChartFetchError(
                f"{url}: redirect refused: more than {MAX_REDIRECTS}, or to a URL that is not http(s)."
            ) from None
        raise _HttpStatusError(f"{url}: the server answered HTTP {error.code} {error.reason}.", error.code, error.headers) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, http_guard.RefusedAddress):  # resolved differently on connecting
            raise ChartFetchError(f"{_reached(url, redirects)}: {error.reason}") from None
        raise _unreachable(_reached(url, redirects), error.reason, redirects) from None
    except (OSError, http.client.HTTPException) as error:
        raise _unreachable(_reached(url, redirects), error, redirects) from None


def _stay_offline(url: str, redirected_from: str = "") -> None:
    """Refuse `url` while FLUX_COOKBOOK_OFFLINE is set, unless it is on this machine's
    loopback; and a redirect to a server that gave no answer earlier in this run."""
    by = f" (redirected to from {redirected_from})" if redirected_from else ""
    if offline.refuses(urlsplit(url).hostname or ""):
        raise RepositoryUnreachable(f"{url}{by} not contacted: {offline.VARIABLE} is set.")
    if redirected_from and (silent := SILENT_SERVERS.get(_server(url))):
        raise RepositoryUnreachable(f"cannot reach {url}{by}: {silent} earlier in this run (not asked again).")


class _OutOfTime(Exception):
    """The answer did not come in whole within TIMEOUT_SECONDS."""

    def __init__(self, cause: str):
        super().__init__(cause)
        self.cause = cause


def _server(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def _unreachable(reached: str, reason: object, redirects: http_guard.Redirects) -> RepositoryUnreachable:
    """The failure to reach `reached`; a server that gave no answer in time is not asked
    again in this run."""
    cause = _network_cause(reason)
    if isinstance(reason, TimeoutError):
        SILENT_SERVERS[_server(redirects.followed[-1] if redirects.followed else reached)] = cause
    return RepositoryUnreachable(f"cannot reach {reached}: {cause}.")


def _reached(url: str, redirects: http_guard.Redirects) -> str:
    """The URL a failure is at: `url`, or the last redirect's target named with it."""
    return f"{redirects.followed[-1]} (redirected to from {url})" if redirects.followed else url


def _read_capped(response: http.client.HTTPResponse, url: str, limit: int, deadline: float) -> bytes:
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > limit:
        raise ChartFetchError(f"{url}: {int(length)} bytes is over the {_size(limit)} limit.")
    chunks, total = [], 0
    # read1: what one receive brings, so the deadline is looked at after each; read(n) would
    # wait for all n bytes, and a server sending a byte now and then would hold it for ever.
    while chunk := response.read1(64 * 1024):
        total += len(chunk)
        if total > limit:
            raise ChartFetchError(f"{url}: the answer is over the {_size(limit)} limit.")
        if time.monotonic() > deadline:
            raise _OutOfTime(f"the answer took over {TIMEOUT_SECONDS:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def _network_cause(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer within {TIMEOUT_SECONDS:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused (nothing listens there)"
    if isinstance(reason, socket.gaierror):
        return "the host name does not resolve"
    if isinstance(reason, ssl.SSLCertVerificationError):
        return f"its TLS certificate is not trusted ({reason.verify_message})"
    if isinstance(reason, ssl.SSLError):
        return f"TLS failed ({reason.reason or reason})"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit >= MIB else f"{limit} bytes"


# --- repositories ---------------------------------------------------------------------

@dataclass(frozen=True)
class _Artifact:
    url: str
    digest: str | None  # `sha256:<hex>` (OCI), bare sha256 hex (Helm index) or None


class _Repository(Protocol):
    where: str  # the URL to name in messages about versions
    chart: str

    def versions(self) -> dict[str, Any]: ...
    def artifact(self, version: str, entry: Any) -> _Artifact: ...
    def download(self, artifact: _Artifact) -> bytes: ...


def _repository(repo_url: str, chart: str, indexes: dict[str, bytes] | None = None) -> _Repository:
    scheme = urlsplit(repo_url).scheme
    if scheme == "oci":
        return _OciRepository(repo_url, chart)
    if scheme in ("http", "https"):
        return _HttpRepository(repo_url, chart, indexes)
    raise ChartFetchError(f"helm_repo_url '{repo_url}' must start with https://, http:// or oci://.")


class _HttpRepository:
    """A Helm chart repository: index.yaml lists every version and its archive URLs.

    `indexes` (index URL -> body), when given, is shared by the callers of one command so
    that each repository's index is fetched once, however many of its charts are asked for.
    """

    def __init__(self, repo_url: str, chart: str, indexes: dict[str, bytes] | None = None):
        self.base = repo_url + "/"
        self.where = urljoin(self.base, "index.yaml")
        self.chart = chart
        self.indexes = indexes

    def versions(self) -> dict[str, dict]:
        try:
            if self.indexes is not None and self.where in self.indexes:
                body = self.indexes[self.where]
            else:
                body = _http_get(self.where, MAX_INDEX_BYTES).body
                if self.indexes is not None:
                    self.indexes[self.where] = body
        except _HttpStatusError as error:
            if error.status == 404:
                raise ChartFetchError(f"{error} Is {self.base} a Helm repository?") from None
            raise
        entries = self._entries(body)
        if self.chart not in entries:
            known = ", ".join(sorted(map(str, entries))[:20]) or "none"
            raise NotInRepository(f"{self.where} has no chart '{self.chart}' (charts there: {known}).")
        available: dict[str, dict] = {}
        for entry in entries[self.chart] or []:
            version = entry.get("version") if isinstance(entry, dict) else None
            if isinstance(version, str) and _is_version(version):
                available.setdefault(version, entry)
        return available

    def _entries(self, body: bytes) -> dict:
        try:
            index = bounded_yaml.load(body.decode("utf-8"), self.where)
        except UnicodeDecodeError as error:
            raise ChartFetchError(f"{self.where} is not UTF-8 text: {error.reason}") from None
        except yaml.YAMLError as error:
            raise ChartFetchError(f"{self.where} is not YAML, or over a limit: {error}") from None
        entries = index.get("entries") if isinstance(index, dict) else None
        if not isinstance(entries, dict):
            raise ChartFetchError(f"{self.where} is not a Helm repository index (no 'entries').")
        return entries

    def artifact(self, version: str, entry: dict) -> _Artifact:
        urls = entry.get("urls")
        if not (isinstance(urls, list) and urls and isinstance(urls[0], str)):
            raise ChartFetchError(f"{self.where}: {self.chart} {version} has no download URL.")
        url = urljoin(self.base, urls[0])  # relative URLs are relative to the repository
        digest = entry.get("digest")
        if digest is not None and not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
            raise ChartFetchError(f"{self.where}: {self.chart} {version} has a malformed digest {digest!r}.")
        return _Artifact(url, digest)

    def download(self, artifact: _Artifact) -> bytes:
        return _http_get(artifact.url, MAX_ARCHIVE_BYTES).body


def _is_version(text: str) -> bool:
    try:
        parse_version(text)
    except ValueError:
        return False
    return True


class _OciRepository:
    """A chart in an OCI registry, through the distribution API with anonymous tokens.

    As in Flux's `type: oci` HelmRepository, the URL names the registry path *without*
    the chart: `oci://registry-1.docker.io/bitnamicharts` + `postgresql` is the
    repository `bitnamicharts/postgresql`.
    """

    def __init__(self, repo_url: str, chart: str):
        parts = urlsplit(repo_url)
        if not parts.hostname:
            raise ChartFetchError(f"helm_repo_url '{repo_url}' names no registry host.")
        scheme = "http" if parts.hostname in LOOPBACK_HOSTS else "https"
        self.registry = f"{scheme}://{parts.netloc}"
        self.name = "/".join(part for part in (parts.path.strip("/"), chart) if part)
        self.where = f"{repo_url}/{chart}"
        self.chart = chart
        self.token: str | None = None

    def versions(self) -> dict[str, str]:
        """Chart versions and their tags: Helm writes `+` as `_` in tags (no `+` allowed)."""
        available: dict[str, str] = {}
        for tag in self._tags():
            version = tag.replace("_", "+")
            try:
                parse_version(version, strict=True)
            except ValueError:
                continue  # `latest`, `sha256-….sig` and the like are not chart versions
            available.setdefault(version, tag)
        return available

    def _tags(self) -> list[str]:
        tags: list[str] = []
        url: str | None = f"{self.registry}/v2/{self.name}/tags/list"
        for _ in range(MAX_TAG_PAGES):
            response = self._get(url, MAX_JSON_BYTES, "application/json")
            page = _json_object(response)
            tags.extend(tag for tag in page.get("tags") or [] if isinstance(tag, str))
            url = self._next_page(response)
            if url is None:
                return tags
        raise ChartFetchError(f"{self.where}: more than {MAX_TAG_PAGES} pages of tags.")

    def _next_page(self, response: _Response) -> str | None:
        match = re.search(r'<([^>]+)>\s*;\s*rel="?next"?', response.headers.get("Link", ""))
        if not match:
            return None
        url = urljoin(response.url, match.group(1))
        if not url.startswith(self.registry + "/"):
            raise ChartFetchError(f"{response.url}: the next page of tags is on another host ({url}).")
        return url

    def artifact(self, version: str, tag: str) -> _Artifact:
        response = self._get(f"{self.registry}/v2/{self.name}/manifests/{tag}", MAX_JSON_BYTES, OCI_MANIFEST)
        manifest = _json_object(response)
        layers = [layer for layer in manifest.get("layers") or [] if isinstance(layer, dict)]
        chart_layers = [layer for layer in layers if layer.get("mediaType") == HELM_CHART_LAYER]
        if not chart_layers:
            raise ChartFetchError(
                f"{response.url}: no Helm chart layer ({HELM_CHART_LAYER}) in the manifest; is it a chart?"
            )
        digest, size = chart_layers[0].get("digest"), chart_layers[0].get("size")
        if not (isinstance(digest, str) and _DIGEST.fullmatch(digest)):
            raise ChartFetchError(f"{response.url}: the chart layer has a malformed digest {digest!r}.")
        if isinstance(size, int) and size > MAX_ARCHIVE_BYTES:
            raise ChartFetchError(f"{response.url}: the chart is {size} bytes, over the {_size(MAX_ARCHIVE_BYTES)} limit.")
        return _Artifact(f"{self.registry}/v2/{self.name}/blobs/{digest}", digest)

    def download(self, artifact: _Artifact) -> bytes:
        return self._get(artifact.url, MAX_ARCHIVE_BYTES).body

    def _get(self, url: str, limit: int, accept: str | None = None) -> _Response:
        """GET with the registry's token; on a 401 challenge, get a token and retry once."""
        try:
            return _http_get(url, limit, accept, self.token)
        except _HttpStatusError as error:
            if error.status != 401:
                raise
            self.token = self._anonymous_token(error.headers.get("WWW-Authenticate", ""), url)
        try:
            return _http_get(url, limit, accept, self.token)
        except _HttpStatusError as error:
            if error.status == 401:
                raise ChartFetchError(f"{url}: the registry refuses anonymous pulls of {self.name}.") from None
            raise

    def _anonymous_token(self, challenge: str, url: str) -> str:
        """The bearer token flow of the distribution spec, without credentials."""
        scheme, _, params_text = challenge.partition(" ")
        params = dict(re.findall(r'(\w+)="([^"]*)"', params_text))
        if scheme.lower() != "bearer" or "realm" not in params:
            raise ChartFetchError(
                f"{url}: the registry asks for credentials ({challenge or 'no challenge'}); "
                "only charts that can be pulled anonymously can be fetched."
            )
        query = {key: params[key] for key in ("service", "scope") if key in params}
        query.setdefault("scope", f"repository:{self.name}:pull")
        realm = params["realm"]
        answer = _json_object(_http_get(f"{realm}{'&' if '?' in realm else '?'}{urlencode(query)}", MAX_JSON_BYTES))
        token = answer.get("token") or answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise ChartFetchError(f"{realm}: the token service gave no token.")
        return token


def _json_object(response: _Response) -> dict:
    try:
        document = json.loads(response.body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ChartFetchError(f"{response.url}: the answer is not JSON ({error}).") from None
    if not isinstance(document, dict):
        raise ChartFetchError(f"{response.url}: the answer is not a JSON object.")
    return document
