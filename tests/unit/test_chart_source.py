"""Fetching a chart's values over real HTTP on loopback: Helm repositories and OCI registries."""

import re
import socket
from pathlib import Path

import pytest

from flux_cookbook.extensions import chart_source, http_guard
from flux_cookbook.extensions.chart_source import (
    ChartFetchError,
    RepositoryUnreachable,
    default_cache_dir,
    fetch_values,
    safe_archive_values,
)
from tests.support.helm_repo_server import (
    HOSTILE_KINDS,
    PODINFO,
    chart_archive,
    connect_proxy,
    dripping_server,
    free_port,
    hostile_archive,
    loopback_tls,
    pack_archive,
    serve_fake_registry,
    serve_folder,
    serve_helm_repo,
    silent_server,
    write_helm_repo,
)


def podinfo_values(version: str) -> str:
    return (PODINFO / version / "values.yaml").read_text()


@pytest.fixture(scope="module")
def repo_url(tmp_path_factory):
    with serve_helm_repo(tmp_path_factory.mktemp("repo")) as url:
        yield url


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "cache"


def serve_archives(tmp_path: Path, archives: dict[str, bytes], **options):
    return serve_folder(write_helm_repo(tmp_path / "helm-repo", archives), **options)


@pytest.mark.parametrize(("constraint", "version"), [
    ("6.x", "6.14.1"), ("~6.13", "6.13.0"), ("6.0.3", "6.0.3"), ("^6.1", "6.14.1"),
    (">=6.0.0 <6.13.0", "6.0.3"), ("6.13.0 || 6.0.x", "6.13.0"),
])
def test_a_range_resolves_to_the_newest_matching_version(repo_url, cache, constraint, version):
    fetched = fetch_values(repo_url, "podinfo", constraint, cache)
    assert (fetched.version, fetched.text) == (version, podinfo_values(version))
    assert fetched.source == f"{repo_url} podinfo {version}"


def test_no_matching_version_lists_the_newest_available(repo_url, cache):
    with pytest.raises(ChartFetchError) as error:
        fetch_values(repo_url, "podinfo", "7.x", cache)
    assert str(error.value) == (
        f"{repo_url}/index.yaml: no version of chart 'podinfo' matches '7.x'; the newest there: 6.14.1, 6.13.0, 6.0.3."
    )


def test_a_chart_missing_from_the_index_is_named(repo_url, cache):
    with pytest.raises(ChartFetchError, match=r"index.yaml has no chart 'nginx' \(charts there: podinfo\)"):
        fetch_values(repo_url, "nginx", "1.x", cache)


def test_an_unreachable_repository_says_so(cache):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(RepositoryUnreachable, match=rf"cannot reach {url}/index.yaml: connection refused"):
        fetch_values(url, "podinfo", "6.x", cache)


@pytest.fixture(autouse=True)
def no_silent_servers_kept():
    """A server that timed out is not asked again in the process: a later test's server on
    the same port is another one."""
    yield
    chart_source.SILENT_SERVERS.clear()


def test_a_repository_that_does_not_answer_times_out(cache, monkeypatch):
    monkeypatch.setattr(chart_source, "TIMEOUT_SECONDS", 0.5)
    with silent_server() as (url, _), pytest.raises(RepositoryUnreachable, match=r"index.yaml: no answer within 0.5 s"):
        fetch_values(url, "podinfo", "6.x", cache)


@pytest.mark.parametrize("server", ["silent", "dripping"])
def test_a_server_that_ran_out_of_time_is_not_asked_again_in_the_run(cache, monkeypatch, server):
    """A bot refreshing every chart of a repository that hangs waits for it once, not once
    per chart; another server is still asked."""
    monkeypatch.setattr(chart_source, "TIMEOUT_SECONDS", 0.5)
    with (silent_server() if server == "silent" else dripping_server(seconds=30)) as (url, probe):
        with pytest.raises(RepositoryUnreachable, match=r"index.yaml: (no answer within|the answer took over) 0.5 s\.$"):
            fetch_values(url, "podinfo", "6.x", cache)
        asked = probe() if server == "silent" else None
        with pytest.raises(RepositoryUnreachable) as again:
            fetch_values(url, "traefik", "30.x", cache)
        assert re.fullmatch(rf"cannot reach {url}/index.yaml: (no answer within|the answer took over) 0.5 s "
                            r"earlier in this run \(not asked again\)\.", str(again.value))
        if asked is not None:
            assert (asked, probe()) == (1, 1)
    with serve_helm_repo(cache.parent / "other") as other:
        assert fetch_values(other, "podinfo", "6.x", cache).version == "6.14.1"


def test_an_answer_that_drips_in_ends_at_the_deadline(cache, monkeypatch):
    """A server sending a byte now and then, for 30 s: the whole answer has the deadline,
    not each receive (which the bytes keep short: a byte every 20 ms). Either message
    stands: a stall of the machine longer than the deadline between two bytes ends a
    receive first; without the answer's deadline, the fetch would read all 30 s."""
    monkeypatch.setattr(chart_source, "TIMEOUT_SECONDS", 1.5)
    with dripping_server(seconds=30, every=0.02) as (url, hung_up):
        with pytest.raises(RepositoryUnreachable, match=r"index.yaml: (the answer took over|no answer within) 1.5 s"):
            fetch_values(url, "podinfo", "6.x", cache)
        # It gave up while the server was still sending: it did not wait for the end of the body.
        assert hung_up.wait(10)


def test_http_errors_name_the_status_and_the_url(tmp_path, cache):
    (tmp_path / "empty").mkdir()
    with serve_folder(tmp_path / "empty") as url, pytest.raises(ChartFetchError) as error:
        fetch_values(url, "podinfo", "6.x", cache)
    assert str(error.value) == (
        f"{url}/index.yaml: the server answered HTTP 404 File not found. Is {url}/ a Helm repository?"
    )


def test_a_digest_mismatch_is_refused(tmp_path, cache):
    archives = {"6.14.1": chart_archive("6.14.1")}
    folder = write_helm_repo(tmp_path / "helm-repo", archives, digests={"6.14.1": "0" * 64})
    with serve_folder(folder) as url, pytest.raises(ChartFetchError, match="digest mismatch: expected 0000"):
        fetch_values(url, "podinfo", "6.x", cache)
    assert not cache.exists() or not any(cache.rglob("*.tgz"))


def test_oversize_answers_are_refused(tmp_path, cache, monkeypatch):
    archives = {"6.14.1": chart_archive("6.14.1")}
    monkeypatch.setattr(chart_source, "MAX_ARCHIVE_BYTES", 1000)
    with serve_archives(tmp_path, archives) as url, pytest.raises(ChartFetchError, match=r"podinfo-6.14.1.tgz: \d+ bytes is over the 1000 bytes limit"):
        fetch_values(url, "podinfo", "6.x", cache)
    # A server that sends no length is cut off while reading.
    routes = {"/podinfo-6.14.1.tgz": (200, {"Content-Length": None}, archives["6.14.1"])}
    with serve_archives(tmp_path, archives, routes=routes) as url, pytest.raises(ChartFetchError, match="the answer is over the 1000 bytes limit"):
        fetch_values(url, "podinfo", "6.x", cache)
    monkeypatch.setattr(chart_source, "MAX_INDEX_BYTES", 100)
    with serve_archives(tmp_path, archives) as url, pytest.raises(ChartFetchError, match="index.yaml: .* over the 100 bytes limit"):
        fetch_values(url, "podinfo", "6.x", cache)


@pytest.mark.parametrize(("kind", "message"), list(zip(HOSTILE_KINDS, [
    r"member 'podinfo/\.\./\.\./\.\./tmp/evil' leads out of the archive",
    r"member '/etc/cron.d/evil' has an absolute path",
    r"member 'podinfo/templates/link' is a symbolic link to '/etc/passwd'",
    r"member 'podinfo/values.yaml' is a symbolic link to '/etc/passwd'",
    r"member 'podinfo/hard' is a hard link",
    r"member 'podinfo/dev' is a device",
    r"member 'podinfo/fifo' is a FIFO",
    r"'podinfo/values.yaml' in the chart archive is over 2 MiB",
    r"it holds 'podinfo/values.yaml' twice",
])))
def test_hostile_archives_are_refused_whole(tmp_path, cache, kind, message):
    with serve_archives(tmp_path, {"6.14.1": hostile_archive(kind)}) as url, pytest.raises(ChartFetchError) as error:
        fetch_values(url, "podinfo", "6.14.1", cache)
    assert str(error.value).startswith(f"{url}/podinfo-6.14.1.tgz: ")
    assert pytest.raises(ChartFetchError, safe_archive_values, hostile_archive(kind), "podinfo").match(message)


@pytest.mark.parametrize(("values", "message"), [
    (b"replicaCount: [unclosed\n", "values.yaml is not YAML"),
    (b"<html><body>Not Found</body></html>\n", "values.yaml is not a mapping of values"),
    (b"\xff\xfe not utf-8", "is not UTF-8 text"),
])
def test_values_that_are_not_yaml_are_refused(tmp_path, cache, values, message):
    with serve_archives(tmp_path, {"6.14.1": chart_archive("6.14.1", values)}) as url, pytest.raises(ChartFetchError, match=message):
        fetch_values(url, "podinfo", "6.x", cache)


def test_an_archive_that_is_not_a_chart_is_refused(tmp_path, cache):
    with serve_archives(tmp_path, {"6.14.1": b"<html>not a tarball</html>"}) as url, pytest.raises(ChartFetchError, match="not a readable chart archive"):
        fetch_values(url, "podinfo", "6.x", cache)
    assert pytest.raises(ChartFetchError, safe_archive_values, chart_archive("6.14.1"), "nginx").match(
        "has no folder 'nginx/'"
    )


def test_a_chart_without_values_has_empty_values(tmp_path):
    archive = tmp_path / "bare.tgz"
    archive.write_bytes(pack_archive([("bare/Chart.yaml", b"name: bare\nversion: 1.0.0\n", {})]))
    assert safe_archive_values(archive, "bare") == ""


def test_redirects_are_bounded_and_only_to_http(tmp_path, cache):
    archives = {"6.14.1": chart_archive("6.14.1")}
    to_file = {"/index.yaml": (302, {"Location": "file:///etc/passwd"}, b"")}
    with serve_archives(tmp_path, archives, routes=to_file) as url, pytest.raises(ChartFetchError, match="redirect refused"):
        fetch_values(url, "podinfo", "6.x", cache)
    hops = {"/index.yaml": (302, {"Location": "/r1"}, b""), "/r1": (302, {"Location": "/r2"}, b""),
            "/r2": (302, {"Location": "/r3"}, b""), "/r3": (302, {"Location": "/r4"}, b"")}
    with serve_archives(tmp_path, archives, routes=hops) as url, pytest.raises(ChartFetchError, match="redirect refused: more than 3"):
        fetch_values(url, "podinfo", "6.x", cache)
    three = {**hops, "/r2": (302, {"Location": "/real-index.yaml"}, b"")}
    (tmp_path / "helm-repo" / "real-index.yaml").write_bytes((tmp_path / "helm-repo" / "index.yaml").read_bytes())
    with serve_archives(tmp_path, archives, routes=three) as url:
        assert fetch_values(url, "podinfo", "6.x", cache).version == "6.14.1"


def test_a_link_local_address_is_never_contacted(tmp_path, cache, monkeypatch):
    """A cloud's metadata service (169.254.169.254) named by an answers file or a
    HelmRepository, or reached by a redirect: refused before any request is made."""
    monkeypatch.delenv("FLUX_COOKBOOK_OFFLINE", raising=False)  # online: the refusal is no offline one
    metadata = "http://169.254.169.254/latest/meta-data"
    with pytest.raises(ChartFetchError, match=r"169\.254\.169\.254 is a link-local address"):
        fetch_values(metadata, "podinfo", "6.x", cache)
    with pytest.raises(ChartFetchError, match=r"fe80::1 is a link-local address"):
        fetch_values("http://[fe80::1]:8080/charts", "podinfo", "6.x", cache)
    with pytest.raises(ChartFetchError, match=r"::ffff:169\.254\.169\.254 is a link-local address"):
        fetch_values("http://[::ffff:169.254.169.254]/", "podinfo", "6.x", cache)  # IPv4, written as IPv6
    archives = {"6.14.1": chart_archive("6.14.1")}
    to_metadata = {"/index.yaml": (302, {"Location": f"{metadata}/index.yaml"}, b"")}
    with serve_archives(tmp_path, archives, routes=to_metadata) as url, pytest.raises(ChartFetchError):
        fetch_values(url, "podinfo", "6.x", cache)


def test_offline_a_redirect_off_this_machine_is_not_followed(tmp_path, cache, monkeypatch):
    """FLUX_COOKBOOK_OFFLINE (set for every test) holds for a redirect's target too: not
    contacted, not even looked up by name."""
    lookups = []
    archives = {"6.14.1": chart_archive("6.14.1")}
    for target in ("http://192.0.2.1/index.yaml", "https://charts.example.invalid/index.yaml"):
        away = {"/index.yaml": (302, {"Location": target}, b"")}
        with serve_archives(tmp_path, archives, routes=away) as url, \
                http_guard.resolved_by(lambda host, *args: lookups.append(host) or socket.getaddrinfo(host, *args)), \
                pytest.raises(RepositoryUnreachable, match=rf"{re.escape(target)} \(redirected to from {url}/index.yaml\) not contacted"):
            fetch_values(url, "podinfo", "6.x", cache)
    assert lookups and [host for host in lookups if host not in ("127.0.0.1", "localhost")] == []


def test_a_failure_after_a_redirect_names_where_it_was_redirected(tmp_path, cache):
    nowhere = f"http://127.0.0.1:{free_port()}/index.yaml"
    away = {"/index.yaml": (302, {"Location": nowhere}, b"")}
    with serve_archives(tmp_path, {"6.14.1": chart_archive("6.14.1")}, routes=away) as url, \
            pytest.raises(RepositoryUnreachable, match=rf"cannot reach {re.escape(nowhere)} \(redirected to from {url}/index.yaml\): connection refused"):
        fetch_values(url, "podinfo", "6.x", cache)


def test_a_redirect_to_a_server_that_ran_out_of_time_is_not_followed_again(tmp_path, cache, monkeypatch):
    """A repository that redirects every chart to storage that hangs: the storage is waited
    for once in the run; later redirects to it fail at once."""
    monkeypatch.setattr(chart_source, "TIMEOUT_SECONDS", 0.5)
    with silent_server() as (storage, connections):
        away = {"/index.yaml": (302, {"Location": f"{storage}/index.yaml"}, b"")}
        with serve_archives(tmp_path, {"6.14.1": chart_archive("6.14.1")}, routes=away) as url:
            with pytest.raises(RepositoryUnreachable, match="no answer within 0.5 s"):
                fetch_values(url, "podinfo", "6.x", cache)
            with pytest.raises(RepositoryUnreachable, match=rf"cannot reach {re.escape(storage)}/index.yaml \(redirected "
                               rf"to from {re.escape(url)}/index.yaml\): no answer within 0.5 s earlier in this run"):
                fetch_values(url, "traefik", "30.x", cache)
        assert connections() == 1


@pytest.mark.parametrize(("host", "message"), [
    ("[fd00:ec2::254]", r"fd00:ec2::254 is a cloud's metadata service address"),  # AWS, IPv6
    ("100.100.100.200", r"100\.100\.100\.200 is a cloud's metadata service address"),  # Alibaba Cloud
])
def test_a_metadata_service_at_a_fixed_address_is_never_contacted(cache, monkeypatch, host, message):
    monkeypatch.delenv("FLUX_COOKBOOK_OFFLINE", raising=False)
    with pytest.raises(ChartFetchError, match=message):
        fetch_values(f"http://{host}/latest", "podinfo", "6.x", cache)


@pytest.mark.parametrize("proxy_settings", [{}, {"no_proxy": "localhost"}, {"https_proxy": "http://127.0.0.1:9"}])
def test_a_name_that_resolves_elsewhere_on_connecting_is_refused_there(tmp_path, cache, monkeypatch, proxy_settings):
    """DNS rebinding: a name that first resolves to a harmless address (the check before
    the request passes) and then to the metadata service's (the connection's own lookup).
    Checked wherever this machine connects itself: proxy settings for other hosts or
    schemes change nothing."""
    monkeypatch.delenv("FLUX_COOKBOOK_OFFLINE", raising=False)
    for name in ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in proxy_settings.items():
        monkeypatch.setenv(name, value)
    lookups = []

    def rebinding(host, port, *args):
        if host != "charts.rebind.test":
            return socket.getaddrinfo(host, port, *args)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "169.254.169.254"
        return socket.getaddrinfo(address, port, *args)

    log: list[str] = []
    with serve_helm_repo(tmp_path, log=log) as url, http_guard.resolved_by(rebinding):
        port = url.rsplit(":", 1)[1]
        with pytest.raises(ChartFetchError, match=r"charts\.rebind\.test is a link-local address"):
            fetch_values(f"http://charts.rebind.test:{port}", "podinfo", "6.x", cache)
    assert len(lookups) == 2 and log == []  # refused on the second lookup, nothing was asked


def test_https_connections_are_checked_and_verify_the_name(tmp_path, cache, monkeypatch):
    """The checked connection still speaks TLS to the host's name: a certificate the
    machine trusts is taken, an untrusted one is refused."""
    monkeypatch.delenv("FLUX_COOKBOOK_OFFLINE", raising=False)
    tls, certificate = loopback_tls(tmp_path / "tls")
    folder = write_helm_repo(tmp_path / "helm-repo", {"6.14.1": chart_archive("6.14.1")})
    with serve_folder(folder, tls=tls) as url:
        with pytest.raises(RepositoryUnreachable, match="certificate"):
            fetch_values(url, "podinfo", "6.x", cache)
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
        assert fetch_values(url, "podinfo", "6.x", cache).version == "6.14.1"



def test_https_through_a_proxy_goes_through_its_tunnel(tmp_path, cache, monkeypatch):
    """https_proxy set: the connection is the proxy's CONNECT tunnel, TLS to the host's
    name inside it (the proxy resolves the name and connects onwards)."""
    monkeypatch.delenv("FLUX_COOKBOOK_OFFLINE", raising=False)
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    tls, certificate = loopback_tls(tmp_path / "tls")
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate))
    folder = write_helm_repo(tmp_path / "helm-repo", {"6.14.1": chart_archive("6.14.1")})
    tunnels: list[str] = []
    with serve_folder(folder, tls=tls) as url, connect_proxy(tunnels) as proxy:
        monkeypatch.setenv("https_proxy", proxy)
        assert fetch_values(url, "podinfo", "6.x", cache).version == "6.14.1"
    assert tunnels and set(tunnels) == {url.removeprefix("https://")}


def test_an_index_pointing_at_a_local_file_is_refused(tmp_path, cache):
    folder = write_helm_repo(tmp_path / "helm-repo", {"6.14.1": chart_archive("6.14.1")})
    index = folder / "index.yaml"
    index.write_text(index.read_text().replace("- podinfo-6.14.1.tgz", "- file:///etc/passwd"))
    with serve_folder(folder) as url, pytest.raises(ChartFetchError, match="file:///etc/passwd: only http"):
        fetch_values(url, "podinfo", "6.x", cache)


def test_the_cache_serves_an_exact_version_offline_but_never_the_index(tmp_path, cache):
    log: list[str] = []
    with serve_helm_repo(tmp_path, log=log) as url:
        fetch_values(url, "podinfo", "6.14.1", cache)
        again = fetch_values(url, "podinfo", "6.x", cache)
    assert again.version == "6.14.1"
    assert log == ["/index.yaml", "/podinfo-6.14.1.tgz", "/index.yaml"]  # the archive came from the cache
    assert [path.name for path in cache.rglob("*") if path.is_file()] == ["podinfo-6.14.1.tgz"]

    offline = fetch_values(url, "podinfo", "6.14.1", cache)
    assert (offline.version, offline.text) == ("6.14.1", podinfo_values("6.14.1"))
    with pytest.raises(RepositoryUnreachable, match="connection refused"):
        fetch_values(url, "podinfo", "6.x", cache)  # a range needs the index


def test_a_republished_version_is_fetched_again(tmp_path, cache):
    with serve_archives(tmp_path, {"6.14.1": chart_archive("6.14.1")}) as url:
        fetch_values(url, "podinfo", "6.14.1", cache)
    with serve_archives(tmp_path, {"6.14.1": chart_archive("6.14.1", b"replicaCount: 2\n")}) as url:
        assert fetch_values(url, "podinfo", "6.14.1", cache).text == "replicaCount: 2\n"


def test_the_default_cache_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "flux-cookbook" / "charts"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert default_cache_dir() == Path.home() / ".cache" / "flux-cookbook" / "charts"


@pytest.mark.parametrize(("repo", "chart", "constraint", "message"), [
    ("https://example.invalid", "../etc", "1.x", "is not a valid chart name"),
    ("https://example.invalid", "podinfo", "six", "chart_version 'six' is not a version range"),
    ("ftp://example.invalid", "podinfo", "1.x", "must start with https://, http:// or oci://"),
])
def test_bad_arguments_are_refused_before_any_request(cache, repo, chart, constraint, message):
    with pytest.raises(ChartFetchError, match=message):
        fetch_values(repo, chart, constraint, cache)


# --- OCI ------------------------------------------------------------------------------

@pytest.fixture
def registry():
    charts = {version: chart_archive(version) for version in ("6.0.3", "6.13.0", "6.14.1")}
    with serve_fake_registry(charts) as fake:
        yield fake


def test_oci_resolves_the_range_through_tags_tokens_and_blobs(registry, cache):
    fetched = fetch_values(registry.oci_url, "podinfo", "6.x", cache)
    assert (fetched.version, fetched.text) == ("6.14.1", podinfo_values("6.14.1"))
    assert fetched.source == f"{registry.oci_url} podinfo 6.14.1"
    paths = [path for path, _ in registry.requests]
    assert paths[:2] == ["/v2/charts/podinfo/tags/list", "/token?service=fake-registry&scope=repository%3Acharts%2Fpodinfo%3Apull"]
    assert "/v2/charts/podinfo/tags/list?n=2&last=6.0.3" in paths  # the Link header was followed
    assert paths[-3:] == ["/v2/charts/podinfo/manifests/6.14.1", "/v2/charts/podinfo/blobs/" + paths[-1].rsplit("/", 1)[1], paths[-1]]
    storage = [auth for path, auth in registry.requests if path.startswith("/storage/")]
    assert storage == [None]  # the token is not handed on with the redirect


def test_oci_exact_and_tilde(registry, cache):
    assert fetch_values(registry.oci_url, "podinfo", "~6.13", cache).version == "6.13.0"
    assert fetch_values(registry.oci_url, "podinfo", "6.0.3", cache).version == "6.0.3"


def test_oci_tags_carry_build_metadata_as_underscore(cache):
    with serve_fake_registry({"6.14.1+build.7": chart_archive("6.14.1")}) as fake:
        fetched = fetch_values(fake.oci_url, "podinfo", "6.x", cache)
        assert fetched.version == "6.14.1+build.7"
        assert "/v2/charts/podinfo/manifests/6.14.1_build.7" in [path for path, _ in fake.requests]


def test_oci_no_match_and_unknown_chart(registry, cache):
    with pytest.raises(ChartFetchError, match=r"podinfo: no version of chart 'podinfo' matches '7.x'; the newest there: 6.14.1, 6.13.0, 6.0.3\."):
        fetch_values(registry.oci_url, "podinfo", "7.x", cache)
    with pytest.raises(ChartFetchError, match=r"/v2/charts/nginx/tags/list: the server answered HTTP 404"):
        fetch_values(registry.oci_url, "nginx", "1.x", cache)


def test_oci_digest_mismatch_and_size_cap(registry, cache, monkeypatch):
    layer = next(digest for digest, data in registry.blobs.items() if data == chart_archive("6.14.1"))
    monkeypatch.setitem(registry.blobs, layer, chart_archive("6.13.0"))
    with pytest.raises(ChartFetchError, match="digest mismatch"):
        fetch_values(registry.oci_url, "podinfo", "6.14.1", cache)
    monkeypatch.setattr(chart_source, "MAX_ARCHIVE_BYTES", 1000)
    with pytest.raises(ChartFetchError, match=r"manifests/6.13.0: the chart is \d+ bytes, over the 1000 bytes limit"):
        fetch_values(registry.oci_url, "podinfo", "6.13.0", cache)


def test_oci_cache_works_offline_for_an_exact_version(cache):
    with serve_fake_registry({"6.14.1": chart_archive("6.14.1")}) as fake:
        fetch_values(fake.oci_url, "podinfo", "6.14.1", cache)
    assert fetch_values(fake.oci_url, "podinfo", "6.14.1", cache).text == podinfo_values("6.14.1")
    with pytest.raises(RepositoryUnreachable):
        fetch_values(fake.oci_url, "podinfo", "6.x", cache)


def test_what_a_fetch_caches_is_found_offline(repo_url, cache):
    """flux-cookbook check reads charts from the cache fetch_values fills, never fetching."""
    assert chart_source.cached_archives(repo_url, "podinfo", cache) == {}
    fetch_values(repo_url, "podinfo", "6.x", cache)
    found = chart_source.cached_archives(repo_url + "/", "podinfo", cache)  # as a HelmRepository may write it
    assert list(found) == ["6.14.1"]
    files = chart_source.safe_archive_files(found["6.14.1"], "podinfo", ("values.yaml", "values.schema.json"))
    assert files == {"values.yaml": podinfo_values("6.14.1")}
    assert chart_source.cached_archives(repo_url, "other", cache) == {}


def test_offline_no_request_leaves_this_machine(monkeypatch):
    """FLUX_COOKBOOK_OFFLINE holds for every command's requests (values outdated and refresh
    asked the network before), and the loopback, where the tests serve charts, stays open."""
    from flux_cookbook.extensions.chart_source import RepositoryUnreachable, list_versions

    monkeypatch.setenv("FLUX_COOKBOOK_OFFLINE", "1")
    with pytest.raises(RepositoryUnreachable, match=r"https://charts.example.invalid/index.yaml not contacted: FLUX_COOKBOOK_OFFLINE is set"):
        list_versions("https://charts.example.invalid", "podinfo")
    with pytest.raises(RepositoryUnreachable, match="cannot reach http://127.0.0.1:9/index.yaml"):
        list_versions("http://127.0.0.1:9", "podinfo")  # nothing listens on the discard port
