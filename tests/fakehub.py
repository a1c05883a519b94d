"""Loopback servers for the Hugging Face rules: a fake hub good enough for a real
hf_hub_download, and the failure modes a probe must classify. 127.0.0.1 only."""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = "openai-community/gpt2"
COMMIT = "a" * 40
GOOD_TOKEN = "hf_" + "G" * 34  # a made-up token of the real shape (scrubbed like a real one)
FILES = {"config.json": b'{"model_type": "gpt2", "n_layer": 2}\n'}


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:  # quiet
        return

    def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _route(self) -> None:
        self.server.requests.append(f"{self.command} {self.path}")
        mode = self.server.mode
        if mode == "portal":
            return self._send(200, {"Content-Type": "text/html"}, b"<html>Log in</html>")
        if mode.startswith("status:"):
            return self._send(int(mode.split(":")[1]), {"Content-Type": "text/plain"}, b"no")
        path = self.path.split("?")[0]
        if path == "/api/whoami-v2":  # the token check: only GOOD_TOKEN is accepted
            if self.headers.get("Authorization") == f"Bearer {GOOD_TOKEN}":
                return self._send(200, {"Content-Type": "application/json"}, b'{"name": "u"}')
            return self._send(401, {"Content-Type": "text/plain"}, b"Invalid credentials")
        if path.startswith(f"/api/models/{REPO}"):
            body = json.dumps(
                {"id": REPO, "sha": COMMIT, "siblings": [{"rfilename": name} for name in FILES]}
            ).encode()
            return self._send(200, {"Content-Type": "application/json"}, body)
        prefix = f"/{REPO}/resolve/"
        if path.startswith(prefix):
            name = path[len(prefix) :].split("/", 1)[-1]
            if name in FILES:
                data = FILES[name]
                return self._send(
                    200,
                    {
                        "X-Repo-Commit": COMMIT,
                        "Content-Type": "application/json",
                        "ETag": f'"{hashlib.sha1(data).hexdigest()}"',
                    },
                    data,
                )
            return self._send(404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": COMMIT})
        return self._send(404, {"X-Error-Code": "RepoNotFound"})

    do_GET = do_HEAD = _route


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.requests: list[str] = []


@contextmanager
def hub(mode: str = "hub", tls: tuple[Path, Path] | None = None) -> Iterator[_Server]:
    """mode: hub | portal | status:NNN. With tls=(cert, key) it serves HTTPS."""
    server = _Server(mode)
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def url(server: _Server, scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{server.server_address[1]}"


def closed_port() -> int:
    """A port nothing listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _listening(on_connect: Callable[[socket.socket], None]) -> Iterator[int]:
    """A loopback port whose every connection goes to `on_connect` until the block ends."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                on_connect(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        listener.close()


@contextmanager
def black_hole() -> Iterator[int]:
    """Accepts connections and never answers."""
    held: list[socket.socket] = []
    try:
        with _listening(held.append) as port:
            yield port
    finally:
        for sock in held:
            sock.close()


class _NoConnect(http.server.BaseHTTPRequestHandler):
    """An HTTP proxy that answers every CONNECT with 501 (BaseHTTPRequestHandler's default)."""

    def log_message(self, *args: object) -> None:
        return


@contextmanager
def refusing_proxy() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NoConnect)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@contextmanager
def hostile(reply: bytes) -> Iterator[int]:
    """Answers every connection with these raw bytes, whatever was asked."""

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(2)
            try:
                conn.recv(65536)
                conn.sendall(reply)
            except OSError:
                pass

    with _listening(answer) as port:
        yield port


def intercepting_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA of its own (as a TLS-intercepting proxy has) and a certificate for 127.0.0.1 signed
    by it, made by the openssl CLI: (ca.pem, cert.pem, key.pem)."""
    ca, ca_key = folder / "ca.pem", folder / "ca-key.pem"
    cert, key, csr = folder / "cert.pem", folder / "key.pem", folder / "cert.csr"
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1\n")
    steps = [
        [
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=Corp Proxy CA",
            "-keyout",
            str(ca_key),
            "-out",
            str(ca),
        ],
        [
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(csr),
        ],
        [
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(ca),
            "-CAkey",
            str(ca_key),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            str(ext),
            "-out",
            str(cert),
        ],
    ]
    for step in steps:
        subprocess.run(["openssl", *step], check=True, capture_output=True)
    return ca, cert, key
