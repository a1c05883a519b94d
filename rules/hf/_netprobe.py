"""A staged HTTP(S) probe with its own short timeouts: DNS -> TCP -> (proxy CONNECT) -> TLS -> HEAD.

Each step has a deadline and every failure gets a class, so "the hub is blocked" can be told
from "the network is down", "a proxy is broken" or "a firewall intercepts TLS" in seconds instead
of the 23-390 s a real client spends retrying. Standard library only; never sends a token.
"""

from __future__ import annotations

import errno
import http.client
import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from devdoctor.api import VERSION


@dataclass(frozen=True)
class Timeouts:
    dns: float = 2.0
    connect: float = 3.0
    tls: float = 3.0
    http: float = 4.0


@dataclass
class Probe:
    url: str
    classification: str = "UNKNOWN"  # see the table in classify_* and the README
    detail: str = ""
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # of the final hop, lower-case names
    hops: list[dict[str, object]] = field(default_factory=list)  # every response on the way
    timings_ms: dict[str, int] = field(default_factory=dict)
    via_proxy: str | None = None

    @property
    def answered(self) -> bool:
        return self.status is not None


MAX_KEPT = 512  # characters kept from any one thing a server says (a status line, a header)
MAX_HEADERS = 64


def _kept(text: str) -> str:
    return text if len(text) <= MAX_KEPT else text[:MAX_KEPT] + "..."


class _Fail(Exception):
    def __init__(self, classification: str, detail: str) -> None:
        super().__init__(detail)
        self.classification = classification
        self.detail = _kept(detail)


def proxy_for(url: str, env: Mapping[str, str]) -> str | None:
    """The proxy the user's HTTP stack would use for `url` (HTTP(S)_PROXY, ALL_PROXY, NO_PROXY)."""
    parts = urlsplit(url)
    lower = {k.lower(): v for k, v in env.items() if v}
    no_proxy = lower.get("no_proxy", "")
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if no_proxy and bypass(parts.hostname or "", {"no": no_proxy}):
        return None
    return lower.get(f"{parts.scheme}_proxy") or lower.get("all_proxy")


def _resolve(host: str, port: int, timeout: float) -> list[tuple[int, tuple[str, int]]]:
    """getaddrinfo has no timeout: run it in a daemon thread and stop waiting."""
    box: dict[str, object] = {}

    def lookup() -> None:
        try:
            box["ok"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            box["err"] = exc

    thread = threading.Thread(target=lookup, daemon=True, name=f"dns-{host}")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise _Fail("DNS_TIMEOUT", f"no DNS answer for {host} in {timeout:g} s")
    err = box.get("err")
    if isinstance(err, socket.gaierror):
        if err.errno in (socket.EAI_AGAIN,):
            raise _Fail("DNS_DOWN", f"{host}: {err.strerror}")
        raise _Fail("DNS_BLOCKED", f"{host}: {err.strerror}")
    if isinstance(err, OSError):
        raise _Fail("DNS_DOWN", f"{host}: {err}")
    return [(info[0], info[4][:2]) for info in box["ok"]]  # type: ignore[attr-defined]


def _connect(
    addresses: list[tuple[int, tuple[str, int]]], timeout: float, what: str
) -> socket.socket:
    last: _Fail = _Fail("NO_ROUTE", f"{what}: no address")
    for family, address in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address)
            return sock
        except ConnectionRefusedError:
            last = _Fail("TCP_REFUSED", f"{what}: connection refused")
        except TimeoutError:
            last = _Fail("TCP_TIMEOUT", f"{what}: no answer to connect in {timeout:g} s")
        except OSError as exc:
            unreachable = exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH)
            last = _Fail("NO_ROUTE" if unreachable else "TCP_ERROR", f"{what}: {exc.strerror}")
        sock.close()
    raise last


def _tunnel(sock: socket.socket, host: str, port: int, timeout: float) -> None:
    """HTTP CONNECT through the proxy to host:port."""
    sock.settimeout(timeout)
    sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    reply = b""
    try:
        while b"\r\n\r\n" not in reply and len(reply) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    except TimeoutError:
        raise _Fail("PROXY_BROKEN", f"the proxy did not answer CONNECT in {timeout:g} s") from None
    except OSError as exc:
        raise _Fail("PROXY_BROKEN", f"the proxy dropped CONNECT: {exc.strerror}") from None
    status_line = reply.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or parts[1] != "200":
        raise _Fail("PROXY_BROKEN", f"the proxy refused CONNECT: {status_line or 'no reply'}")


def _tls(sock: socket.socket, host: str, timeout: float, env: Mapping[str, str]) -> ssl.SSLSocket:
    context = ssl.create_default_context(
        cafile=env.get("SSL_CERT_FILE") or None, capath=env.get("SSL_CERT_DIR") or None
    )
    sock.settimeout(timeout)
    try:
        return context.wrap_socket(sock, server_hostname=host)
    except ssl.SSLCertVerificationError as exc:
        raise _Fail("TLS_MITM", f"certificate not trusted: {exc.verify_message}") from None
    except TimeoutError:
        raise _Fail("TLS_TIMEOUT", f"no TLS handshake in {timeout:g} s") from None
    except (ConnectionResetError, ssl.SSLEOFError, ssl.SSLZeroReturnError, BrokenPipeError) as exc:
        raise _Fail("TLS_RESET", f"connection reset during the TLS handshake ({exc})") from None
    except (ssl.SSLError, OSError) as exc:
        raise _Fail("TLS_ERROR", f"TLS failed: {exc}") from None


def _head(
    sock: socket.socket, url: str, absolute: bool, timeout: float, headers: Mapping[str, str]
) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    conn.sock = sock
    target = url if absolute else (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("HEAD", target, headers={**headers, "Host": parts.netloc})
        return conn.getresponse()
    except TimeoutError:
        raise _Fail("NO_ANSWER", f"connected, but no HTTP answer in {timeout:g} s") from None
    except (http.client.HTTPException, OSError) as exc:
        raise _Fail("HTTP_ERROR", f"bad HTTP answer: {type(exc).__name__}: {exc}") from None


def _one_hop(
    url: str, env: Mapping[str, str], t: Timeouts, probe: Probe, headers: Mapping[str, str]
) -> http.client.HTTPResponse:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    proxy = proxy_for(url, env)
    if proxy:
        probe.via_proxy = proxy
        p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if p.scheme.startswith("socks"):
            raise _Fail("PROXY_SOCKS", f"{p.scheme} proxy {p.hostname}:{p.port} (not probed)")
        start = time.perf_counter()
        try:  # the proxy itself failing is the proxy's problem, whatever the layer
            addresses = _resolve(p.hostname or "", p.port or 80, t.dns)
            probe.timings_ms["dns"] = int((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            sock = _connect(addresses, t.connect, f"proxy {p.hostname}:{p.port}")
        except _Fail as exc:
            raise _Fail("PROXY_BROKEN", exc.detail) from None
        probe.timings_ms["tcp"] = int((time.perf_counter() - start) * 1000)
        if https:
            _tunnel(sock, parts.hostname or "", port, t.connect)
    else:
        start = time.perf_counter()
        addresses = _resolve(parts.hostname or "", port, t.dns)
        probe.timings_ms["dns"] = int((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        sock = _connect(addresses, t.connect, f"{parts.hostname}:{port}")
        probe.timings_ms["tcp"] = int((time.perf_counter() - start) * 1000)
    try:
        if https:
            start = time.perf_counter()
            sock = _tls(sock, parts.hostname or "", t.tls, env)
            probe.timings_ms["tls"] = int((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        response = _head(sock, url, bool(proxy) and not https, t.http, headers)
        probe.timings_ms["http"] = int((time.perf_counter() - start) * 1000)
        return response
    finally:
        sock.close()


def probe(
    url: str, env: Mapping[str, str], timeouts: Timeouts = Timeouts(), max_redirects: int = 5
) -> Probe:
    """HEAD `url`, following same-origin redirects only. Never raises."""
    result = Probe(url)
    headers = {
        "User-Agent": f"devdoctor/{VERSION}",
        "Accept-Encoding": "identity",
        "Connection": "close",
    }
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        result.classification, result.detail = "ENDPOINT_MALFORMED", f"not an http(s) URL: {url!r}"
        return result
    current = url
    try:
        for _ in range(max_redirects + 1):
            response = _one_hop(current, env, timeouts, result, headers)
            hop_headers = {
                _kept(k.lower()): _kept(v) for k, v in response.getheaders()[:MAX_HEADERS]
            }
            result.status, result.headers = response.status, hop_headers
            result.hops.append({"url": current, "status": response.status, "headers": hop_headers})
            location = hop_headers.get("location")
            if response.status not in (301, 302, 303, 307, 308) or not location:
                break
            try:
                following = urljoin(current, location)
                off_origin = urlsplit(following)[:2] != urlsplit(current)[:2]
            except ValueError:  # a Location no URL parser accepts: the answer is this hop's
                break
            if off_origin:
                break  # off-origin (a CDN): the answer is this hop's
            current = following
        result.classification = "ANSWERED"
    except _Fail as exc:
        result.classification, result.detail = exc.classification, exc.detail
    except Exception as exc:  # documented never to raise: an answer no client could use
        result.classification = "NOT_A_HUB"
        result.detail = _kept(f"unusable answer ({type(exc).__name__}: {exc})")
    return result
