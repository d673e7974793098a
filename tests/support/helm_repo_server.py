"""Helm repositories on loopback, made from the real podinfo chart files in ../shared.

`serve_helm_repo` packages podinfo versions as `helm package` does (`podinfo/Chart.yaml`,
`podinfo/values.yaml`), writes the index.yaml Helm writes (apiVersion v1, entries with
version, appVersion, relative urls, sha256 digest, created) and serves the folder over
real HTTP. `hostile_archive` makes the archives a malicious repository would serve.
`serve_fake_registry` is a small OCI distribution-API registry (tags with pagination,
manifests, blobs behind a redirect, anonymous bearer tokens), and `run_docker_registry`
starts the real registry (Debian's docker-registry) when it is installed.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import ipaddress
import json
import select
import shutil
import socket
import ssl
import subprocess
import tarfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

PODINFO = Path(__file__).resolve().parents[3] / "shared" / "charts" / "podinfo"
PODINFO_VERSIONS = ("6.0.3", "6.13.0", "6.14.1")
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
# A fixed time in the archives, so the same chart always packs to the same bytes.
_MTIME = 1_700_000_000


def _add(archive: tarfile.TarFile, name: str, data: bytes = b"", **attributes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), _MTIME, 0o644
    for key, value in attributes.items():
        setattr(info, key, value)
    archive.addfile(info, io.BytesIO(data) if data else None)


def pack_archive(members: list[tuple[str, bytes, dict]]) -> bytes:
    """A .tgz of (name, data, TarInfo attributes) members; the same members give the same
    bytes (gzip's header records no time), so a test may look an archive up by its bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped, tarfile.open(fileobj=zipped, mode="w") as archive:
        for name, data, attributes in members:
            _add(archive, name, data, **attributes)
    return buffer.getvalue()


def chart_archive(version: str, values: bytes | None = None, labelled: str | None = None,
                  templates: dict[str, str] | None = None) -> bytes:
    """podinfo `version` as `helm package` lays it out; `values` replaces its values.yaml,
    `labelled` the version its Chart.yaml states (for repositories with more versions),
    `templates` ({file name: text}) go in its templates/ folder."""
    folder = PODINFO / version
    chart_yaml = (folder / "Chart.yaml").read_bytes()
    if labelled:
        chart_yaml = yaml.safe_dump({**yaml.safe_load(chart_yaml), "version": labelled}, sort_keys=False).encode()
    return pack_archive([
        ("podinfo/Chart.yaml", chart_yaml, {}),
        ("podinfo/values.yaml", (folder / "values.yaml").read_bytes() if values is None else values, {}),
        *((f"podinfo/templates/{name}", text.encode(), {}) for name, text in (templates or {}).items()),
    ])


def hostile_archive(kind: str, version: str = "6.14.1") -> bytes:
    """A podinfo archive with one hostile member added: kind is one of HOSTILE_KINDS."""
    folder = PODINFO / version
    members = [("podinfo/Chart.yaml", (folder / "Chart.yaml").read_bytes(), {})]
    values = (folder / "values.yaml").read_bytes()
    hostile = {
        "traversal": ("podinfo/../../../tmp/evil", b"x", {}),
        "absolute": ("/etc/cron.d/evil", b"x", {}),
        "symlink": ("podinfo/templates/link", b"", {"type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}),
        "values-symlink": ("podinfo/values.yaml", b"", {"type": tarfile.SYMTYPE, "linkname": "/etc/passwd"}),
        "hardlink": ("podinfo/hard", b"", {"type": tarfile.LNKTYPE, "linkname": "podinfo/Chart.yaml"}),
        "device": ("podinfo/dev", b"", {"type": tarfile.CHRTYPE, "devmajor": 1, "devminor": 3}),
        "fifo": ("podinfo/fifo", b"", {"type": tarfile.FIFOTYPE}),
        "huge-values": ("podinfo/values.yaml", b"a: 1\n" + b"#" * (2 * 1024 * 1024), {}),
        "twice": ("podinfo/values.yaml", b"replicaCount: 99\n", {}),
    }[kind]
    if kind not in ("values-symlink", "huge-values"):
        members.append(("podinfo/values.yaml", values, {}))
    members.append(hostile)
    return pack_archive(members)


HOSTILE_KINDS = ("traversal", "absolute", "symlink", "values-symlink", "hardlink", "device", "fifo", "huge-values", "twice")


def write_helm_repo(folder: Path, archives: dict[str, bytes], digests: dict[str, str] | None = None) -> Path:
    """`folder` as a Helm repository: podinfo-<version>.tgz files and their index.yaml.

    `digests` overrides the index digest of some versions (to serve a wrong one).
    """
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for version, data in archives.items():
        (folder / f"podinfo-{version}.tgz").write_bytes(data)
        entries.append({
            "apiVersion": "v2",
            "name": "podinfo",
            "version": version,
            "appVersion": version,
            "urls": [f"podinfo-{version}.tgz"],
            "digest": (digests or {}).get(version, hashlib.sha256(data).hexdigest()),
            "created": datetime.fromtimestamp(_MTIME, timezone.utc).isoformat(),
        })
    index = {"apiVersion": "v1", "entries": {"podinfo": entries}, "generated": datetime.now(timezone.utc).isoformat()}
    (folder / "index.yaml").write_text(yaml.safe_dump(index, sort_keys=False))
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None = None) -> Iterator[ThreadingHTTPServer]:
    """A server on a free port of 127.0.0.1 with `handler`, in a thread of its own, over
    TLS with `tls` (a server context); it looks for its end every 0.05 s (http.server's
    default, 0.5 s, is half a second of every test's end)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serve_folder(folder: Path, routes: dict | None = None, log: list | None = None,
                 tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 (over https with `tls`, a server context); yields its
    base URL (no trailing slash).

    `routes` maps a path to (status, headers, body) served instead of a file (redirects,
    errors; a header set to None is left out); `log` collects the paths requested.
    """
    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def do_GET(self):
            if log is not None:
                log.append(self.path)
            if routes and self.path in routes:
                status, headers, body = routes[self.path]
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    if value is not None:  # None leaves a header out
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
                return
            # The file read and closed before a byte goes out: a command run in the test
            # process (tests/support/project.py) finds no descriptor of this thread's open.
            source = self.send_head()
            if source:
                with source:
                    body = source.read()
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serving(Handler, tls) as server:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}"


@contextmanager
def connect_proxy(log: list) -> Iterator[str]:
    """An HTTP proxy on loopback that only tunnels (CONNECT, as https through a proxy goes),
    logging each host:port asked for; yields its URL."""
    class Tunnel(BaseHTTPRequestHandler):
        def do_CONNECT(self):
            log.append(self.path)
            host, _, port = self.path.rpartition(":")
            with socket.create_connection((host, int(port)), timeout=10) as upstream:
                self.send_response(200, "Connection established")
                self.end_headers()
                streams = [self.connection, upstream]
                while True:
                    readable, _, _ = select.select(streams, [], [], 10)
                    if not readable:
                        return
                    for stream in readable:
                        data = stream.recv(65536)
                        if not data:
                            return
                        (upstream if stream is self.connection else self.connection).sendall(data)

        def log_message(self, *args):
            pass

    with serving(Tunnel) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def loopback_tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context with a new self-signed certificate for 127.0.0.1, and the
    certificate's file (for a client to trust: SSL_CERT_FILE)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "loopback.crt", folder / "loopback.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context, cert_file


@contextmanager
def serve_helm_repo(tmp_path: Path, versions=PODINFO_VERSIONS, log: list | None = None) -> Iterator[str]:
    """A Helm repository of the real podinfo `versions` on loopback; yields its URL."""
    folder = write_helm_repo(tmp_path / "helm-repo", {version: chart_archive(version) for version in versions})
    with serve_folder(folder, log=log) as url:
        yield url


@contextmanager
def silent_server() -> Iterator[tuple[str, Callable[[], int]]]:
    """A port that accepts connections and never answers (for time-outs); yields its URL and
    a function telling how many connections were made to it so far."""
    made = 0

    def connections() -> int:
        nonlocal made
        with contextlib.suppress(BlockingIOError):
            while True:
                listener.accept()[0].close()
                made += 1
        return made

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)  # the kernel completes connections; accept only counts them
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", connections


@contextmanager
def dripping_server(seconds: float = 30.0, every: float = 0.1) -> Iterator[tuple[str, threading.Event]]:
    """A server that answers at once, then sends its body a byte at a time, a byte `every`
    so many seconds, for `seconds` (for the deadline of a whole answer); yields its URL
    and an event set when the client hangs up before the body ends."""
    stop, hung_up = threading.Event(), threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.end_headers()  # no Content-Length: the body lasts until the connection ends
            ends = time.monotonic() + seconds
            try:
                while not stop.is_set() and time.monotonic() < ends:
                    self.wfile.write(b"#")
                    self.wfile.flush()
                    stop.wait(every)
            except OSError:
                hung_up.set()

        def log_message(self, *args):
            pass

    with serving(Handler) as server:
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}", hung_up
        finally:
            stop.set()  # the handler ends before the server does


# --- OCI ------------------------------------------------------------------------------

def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def oci_chart_objects(archive: bytes, version: str) -> tuple[bytes, bytes, bytes]:
    """(config, layer, manifest) of a chart as `helm push` stores it in a registry."""
    chart_yaml = yaml.safe_load(tarfile.open(fileobj=io.BytesIO(archive)).extractfile("podinfo/Chart.yaml"))
    config = json.dumps({**chart_yaml, "version": version}).encode()
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": HELM_CONFIG, "digest": _digest(config), "size": len(config)},
        "layers": [{"mediaType": HELM_CHART_LAYER, "digest": _digest(archive), "size": len(archive)}],
    }).encode()
    return config, archive, manifest


@dataclass
class FakeRegistry:
    """What the fake registry serves and what it saw."""

    url: str  # http://127.0.0.1:<port>
    repository: str  # e.g. charts/podinfo
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Authorization)
    blobs: dict[str, bytes] = field(default_factory=dict)

    @property
    def oci_url(self) -> str:
        """The HelmRepository URL: the registry path without the chart name."""
        return f"oci://{urlsplit(self.url).netloc}/{self.repository.rsplit('/', 1)[0]}"


@contextmanager
def serve_fake_registry(charts: dict[str, bytes], repository: str = "charts/podinfo", page_size: int = 2,
                        extra_tags: tuple[str, ...] = ("latest",)) -> Iterator[FakeRegistry]:
    """A distribution-API registry on loopback holding `charts` {version: archive}.

    Every /v2/ path needs the bearer token its 401 challenge leads to; tags come `page_size`
    at a time with Link headers; blobs redirect to /storage/ (as registries redirect to
    object storage) and are sent without Content-Length.
    """
    token = "anonymous-pull-token"
    tags, manifests, blobs = list(extra_tags), {}, {}
    for version, archive in charts.items():
        config, layer, manifest = oci_chart_objects(archive, version)
        tag = version.replace("+", "_")
        tags.append(tag)
        manifests[tag] = manifests[_digest(manifest)] = manifest  # by tag and by digest, as registries serve them
        blobs.update({_digest(config): config, _digest(layer): layer})

    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self):
            # Real clients (helm, containerd's resolver) ask for a manifest's digest first.
            self.head_only = True
            self.do_GET()

        def do_GET(self):
            registry.requests.append((self.path, self.headers.get("Authorization")))
            path, _, query = self.path.partition("?")
            if path == "/token":
                return self._json({"token": token})
            if path.startswith("/storage/"):
                return self._blob(blobs.get(path.removeprefix("/storage/")))
            if self.headers.get("Authorization") != f"Bearer {token}":
                realm = f"{registry.url}/token"
                challenge = f'Bearer realm="{realm}",service="fake-registry",scope="repository:{repository}:pull"'
                return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {"WWW-Authenticate": challenge})
            prefix = f"/v2/{repository}/"
            if path == prefix + "tags/list":
                return self._tags(parse_qs(query).get("last", [""])[0])
            if path.startswith(prefix + "manifests/") and path.removeprefix(prefix + "manifests/") in manifests:
                body = manifests[path.removeprefix(prefix + "manifests/")]
                return self._send(200, body, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": _digest(body)})
            if path.startswith(prefix + "blobs/") and path.removeprefix(prefix + "blobs/") in blobs:
                return self._send(307, b"", {"Location": "/storage/" + path.removeprefix(prefix + "blobs/")})
            return self._send(404, b'{"errors":[{"code":"NAME_UNKNOWN"}]}')

        def _tags(self, last: str):
            start = tags.index(last) + 1 if last in tags else 0
            page = tags[start:start + page_size]
            headers = {}
            if start + page_size < len(tags):
                headers["Link"] = f'</v2/{repository}/tags/list?n={page_size}&last={page[-1]}>; rel="next"'
            return self._send(200, json.dumps({"name": repository, "tags": page}).encode(), headers)

        def _blob(self, data: bytes | None):
            if data is None:
                return self._send(404, b"")
            # No Content-Length: the client must enforce its size cap while reading.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True

        def _json(self, document: dict):
            return self._send(200, json.dumps(document).encode(), {"Content-Type": "application/json"})

        def _send(self, status: int, body: bytes, headers: dict | None = None):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if not getattr(self, "head_only", False):
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    with serving(Handler) as server:
        registry = FakeRegistry(url=f"http://127.0.0.1:{server.server_port}", repository=repository, blobs=blobs)
        yield registry


# --- the real registry ----------------------------------------------------------------

DOCKER_REGISTRY = shutil.which("docker-registry")


@contextmanager
def run_docker_registry(tmp_path: Path) -> Iterator[str]:
    """Debian's docker-registry (CNCF distribution) on loopback; yields http://127.0.0.1:<port>."""
    port = free_port()
    config = tmp_path / "registry.yml"
    config.write_text(yaml.safe_dump({
        "version": 0.1,
        "log": {"level": "error"},
        "storage": {"filesystem": {"rootdirectory": str(tmp_path / "registry-data")}},
        "http": {"addr": f"127.0.0.1:{port}"},
    }))
    process = subprocess.Popen([DOCKER_REGISTRY, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url + "/v2/", process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()


def _wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {process.stderr.read().decode()}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"docker-registry did not answer at {url}")


# --- more charts: podinfo and traefik, as one repository ----------------------------

CHARTS = PODINFO.parent
TRAEFIK_VERSIONS = ("10.24.0", "20.8.0", "28.0.0", "33.2.1", "41.3.0")
CHART_FILES = ("Chart.yaml", "values.yaml", "values.schema.json")


def packaged_chart(chart: str, version: str) -> bytes:
    """`chart` `version` from ../shared/charts as `helm package` lays it out (its
    values.schema.json too, when that version has one)."""
    folder = CHARTS / chart / version
    return pack_archive([(f"{chart}/{name}", (folder / name).read_bytes(), {})
                         for name in CHART_FILES if (folder / name).is_file()])


def write_charts_repo(folder: Path, charts: dict[str, tuple[str, ...]]) -> Path:
    """`folder` as a Helm repository of `charts` ({chart: versions}): archives and index.yaml.
    Writing it again with more versions is a repository that gained releases."""
    folder.mkdir(parents=True, exist_ok=True)
    entries: dict[str, list] = {}
    for chart, versions in charts.items():
        for version in versions:
            data = packaged_chart(chart, version)
            (folder / f"{chart}-{version}.tgz").write_bytes(data)
            entries.setdefault(chart, []).append({
                "apiVersion": "v2", "name": chart, "version": version, "urls": [f"{chart}-{version}.tgz"],
                "digest": hashlib.sha256(data).hexdigest(),
                "created": datetime.fromtimestamp(_MTIME, timezone.utc).isoformat(),
            })
    (folder / "index.yaml").write_text(yaml.safe_dump({"apiVersion": "v1", "entries": entries}, sort_keys=False))
    return folder
