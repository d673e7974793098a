"""The addresses a chart fetch never connects to, and an opener that checks each address
as it connects.

A cloud machine's metadata service answers at a link-local address (169.254.169.254,
fe80::/10) or at a few fixed ones (AWS's fd00:ec2::254, Alibaba Cloud's 100.100.100.200),
with the machine's credentials. No chart repository is there, and a repository URL is one
line of a pull request away, so a bot that fetches chart values must never go there.

Two checks: `refusal(url)` names the refusal before any request (a clear message, also for
a redirect's target), and `opener()`'s connections check the very addresses they connect
to, so a name that resolves to a public address first and to a metadata address on the
next lookup (DNS rebinding) is refused too. Through a proxy the proxy resolves the name
and connects, not this machine: only the proxy's own address is this machine's to check.
"""

from __future__ import annotations

import contextlib
import contextvars
import http.client
import ipaddress
import socket
import ssl
import urllib.request
from collections.abc import Callable, Iterator
from urllib.parse import urljoin, urlsplit

# Metadata services outside the link-local ranges (and Azure's platform endpoint, its
# WireServer, which answers a machine's own agent).
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in ("fd00:ec2::254", "100.100.100.200", "168.63.129.16"))


# How a host name becomes addresses (socket.getaddrinfo's arguments and answer): the
# system's resolver. `resolved_by` sets another for a block, so that a test can make a
# name resolve as an attacker's DNS would (a harmless address first, a metadata address
# next) or count the lookups.
_RESOLVER: contextvars.ContextVar[Callable[..., list]] = contextvars.ContextVar("resolver", default=socket.getaddrinfo)


@contextlib.contextmanager
def resolved_by(resolver: Callable[..., list]) -> Iterator[None]:
    """Within the block, every lookup of this module (the check before a request, and each
    connection's own) asks `resolver`, called as socket.getaddrinfo is."""
    token = _RESOLVER.set(resolver)
    try:
        yield
    finally:
        _RESOLVER.reset(token)


class RefusedAddress(OSError):
    """A connection to a metadata service's address was refused; the message says which."""


def address_refusal(host: str, address: str) -> str:
    """Why `host`, at `address`, is never contacted, or ""."""
    parsed = ipaddress.ip_address(address.split("%")[0])  # fe80::1%eth0: the zone is no part of it
    parsed = getattr(parsed, "ipv4_mapped", None) or parsed  # ::ffff:169.254.169.254 is IPv4's
    if parsed.is_link_local:
        return f"{host} is a link-local address (a cloud's metadata service); no chart repository is there."
    if parsed in METADATA_ADDRESSES:
        return f"{host} is a cloud's metadata service address; no chart repository is there."
    return ""


def refusal(url: str) -> str:
    """Why `url` is not fetched, or "": its host resolves to an address `address_refusal`
    refuses. Asked before a request, so the message names the URL."""
    host = urlsplit(url).hostname or ""
    literal = _is_address(host)
    if not literal and through_proxy(url):
        return ""  # the proxy resolves the name and connects, not this machine
    try:
        addresses = {host} if literal else {info[4][0] for info in _RESOLVER.get()(host, None)}
    except (OSError, UnicodeError):
        return ""  # not resolved: the request says it cannot reach it
    refused = sorted(filter(None, (address_refusal(host, address) for address in addresses)))
    return f"{url}: {refused[0]}" if refused else ""


def through_proxy(url: str) -> bool:
    """Whether a request for `url` goes through a proxy: one set for its scheme (http_proxy,
    https_proxy), its host not in no_proxy."""
    return bool(urllib.request.getproxies().get(urlsplit(url).scheme)) \
        and not urllib.request.proxy_bypass(urlsplit(url).hostname or "")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _connect(host: str, port: int, timeout: float | None, source_address: tuple | None) -> socket.socket:
    """socket.create_connection, but every address the name resolves to is judged first,
    and the socket connects to one of those judged addresses, not to a second lookup's."""
    found = _RESOLVER.get()(host, port, 0, socket.SOCK_STREAM)
    for *_, sockaddr in found:
        if refused := address_refusal(host, sockaddr[0]):
            raise RefusedAddress(refused)
    error: OSError = OSError(f"{host} resolved to no address")
    for family, kind, proto, _, sockaddr in found:
        sock = socket.socket(family, kind, proto)
        try:
            if isinstance(timeout, (int, float)):  # else socket's default (http.client's marker for none given)
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as http.client does
            return sock
        except OSError as failed:
            sock.close()
            error = failed
    raise error


class _CheckedHTTPConnection(http.client.HTTPConnection):
    """Connects to its host's judged addresses; through a proxy's tunnel (https), as
    http.client does: the proxy resolves the name and connects onwards."""

    tunnelled = False

    def set_tunnel(self, host, port=None, headers=None) -> None:
        self.tunnelled = True
        super().set_tunnel(host, port, headers)

    def connect(self) -> None:
        if self.tunnelled:
            super().connect()
        else:
            self.sock = _connect(self.host, self.port, self.timeout, self.source_address)


class _CheckedHTTPSConnection(http.client.HTTPSConnection, _CheckedHTTPConnection):
    """HTTPSConnection.connect wraps what the next class's connect opened (the checked
    socket) in TLS for the host's name."""


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self) -> None:
        self.tls = ssl.create_default_context()
        self.tls.set_alpn_protocols(["http/1.1"])  # as http.client's own context says
        super().__init__(context=self.tls)

    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self.tls)


class Redirects(urllib.request.HTTPRedirectHandler):
    """At most `max_redirections`, only to http(s) URLs (never file:, ftp: or data:), to
    no URL `before(from_url, target)` refuses (it raises; asked first: the caller's own
    rules, such as staying offline), and never to an address `refusal` refuses. `error`
    makes the exception raised. `followed` lists the targets, in order."""

    def __init__(self, max_redirections: int, error: type[Exception], before=None):
        super().__init__()
        self.max_redirections = max_redirections
        self.error = error
        self.before = before
        self.followed: list[str] = []

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        target = urljoin(req.full_url, newurl)
        if urlsplit(target).scheme not in ("http", "https"):
            raise self.error(f"{req.full_url} redirects to {target}, which is not an http(s) URL.")
        if self.before:
            self.before(req.full_url, target)
        if refused := refusal(target):
            raise self.error(f"{req.full_url} redirects to {refused}")
        self.followed.append(target)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def opener(redirects: Redirects) -> urllib.request.OpenerDirector:
    """http(s) only (build_opener would add file:, ftp: and data: handlers, and an index
    may name any URL), through the proxies the environment sets (and no_proxy spares); each
    connection this machine makes to a host checks its addresses as it connects, a
    redirect's target's too (a proxy's own address included; through a proxy's https
    tunnel the proxy connects onwards)."""
    built = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), _CheckedHTTPHandler(), _CheckedHTTPSHandler(), redirects,
                    urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor()):
        built.add_handler(handler)
    return built
