"""A small, real HTTP CONNECT proxy (RFC 9110 9.3.6) for stunnel's ``protocol = connect``.

Theory of operation
-------------------
One listening socket on 127.0.0.1, one accept thread, one thread per client.
A client sends ``CONNECT host:port HTTP/1.x`` plus headers and a blank line; the
proxy answers with a status line and, on ``200``, relays bytes both ways until
both sides have closed. stunnel accepts only a status line starting ``HTTP/1.0 2``
or ``HTTP/1.1 2`` and sends ``Proxy-Authorization: basic <base64>`` only when both
``protocolUsername`` and ``protocolPassword`` are set, which is what the answers
below are shaped for:

- ``407`` (with ``Proxy-Authenticate: Basic``) when credentials are required and
  missing or wrong;
- ``403`` for a target outside the allowed network (127.0.0.0/8 by default: the
  harness never lets traffic leave the machine; host names other than
  ``localhost`` are refused rather than resolved, so no DNS look-up happens);
- ``405`` for any method but CONNECT, ``400`` for a malformed request, ``502``
  when the target refuses the connection.

Every request is recorded as a :class:`ProxyRequest` and logged, with the
password never recorded: the Authorization header is kept as ``basic <redacted>``
and only the user name is shown. The proxy is a context manager; ``stop()``
closes every socket it opened and joins every thread, on every path.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hmac
import ipaddress
import logging
import select
import socket
import threading
from dataclasses import dataclass, field
from typing import Self

from harness.testing import LoopbackService

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024
REDACTED = "<redacted>"


@dataclass(frozen=True)
class ProxyRequest:
    """What one client asked for and what it got (no secret in any field).

    Attributes:
        client: The client's address.
        method: Request method as sent (``CONNECT``).
        target: The request target (``127.0.0.1:7777``), or ``""`` if unparsable.
        status: The status code answered.
        reason: Why, in words (``authentication required``, ``target not allowed``).
        username: The user name from ``Proxy-Authorization``, if any was sent.
        headers: Request headers as sent, except ``Proxy-Authorization`` whose
            credentials are replaced by ``<redacted>``.
    """

    client: tuple[str, int]
    method: str
    target: str
    status: int
    reason: str
    username: str | None = None
    headers: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class Refusal:
    """A request the proxy answers with an error status instead of a tunnel."""

    status: int
    reason: str


class ConnectProxy(LoopbackService):
    """An HTTP CONNECT proxy on loopback, for tunnels configured with ``protocol = connect``.

    Args:
        username: With ``password``, require Basic proxy authentication.
        password: The password; never logged or recorded.
        host: Loopback address to bind (127.0.0.1 unless staging another host).
        port: Port to bind; 0 picks a free one (see :attr:`address`).
        allowed_network: Targets must be IP addresses inside it (or ``localhost``).
        connect_timeout: Seconds to wait for the target to accept.
        header_timeout: Seconds a client has to send its request head.

    Example::

        with ConnectProxy(username="fix", password="s3cret") as proxy:
            host, port = proxy.address   # put into stunnel's connect =
            ...
            assert proxy.requests[0].status == 200
    """

    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        allowed_network: str = "127.0.0.0/8",
        connect_timeout: float = 5.0,
        header_timeout: float = 10.0,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("give both username and password, or neither")
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the proxy binds loopback addresses only, not {host}")
        self._username = username
        self._password = password
        self._bind = (host, port)
        self._allowed = ipaddress.ip_network(allowed_network)
        self._connect_timeout = connect_timeout
        self._header_timeout = header_timeout
        self._lock = threading.Lock()
        self._requests: list[ProxyRequest] = []
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._address: tuple[str, int] | None = None

    # ---- lifecycle -----------------------------------------------------------

    def start(self) -> Self:
        """Bind and start accepting. Returns self. Listening when it returns."""
        if self._listener is not None:
            raise RuntimeError("proxy already started")
        listener = socket.create_server(self._bind, backlog=32)
        self._listener = listener
        addr = listener.getsockname()
        self._address = (addr[0], addr[1])
        self._spawn(self._accept_loop, name="connect-proxy-accept")
        log.info("CONNECT proxy listening on %s:%d", *self._address)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close every socket and join every thread (each join bounded by ``timeout``)."""
        self._stopping.set()
        if self._listener is not None:
            # close() alone does not wake a thread blocked in accept() on Linux,
            # and the socket would keep listening; shutdown() does wake it.
            _close(self._listener)
        with self._lock:
            sockets = list(self._sockets)
        for s in sockets:
            _close(s)
        for t in list(self._threads):
            t.join(timeout)

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` the proxy listens on."""
        if self._address is None:
            raise RuntimeError("proxy not started")
        return self._address

    @property
    def requests(self) -> tuple[ProxyRequest, ...]:
        """Every request answered so far, in order."""
        with self._lock:
            return tuple(self._requests)

    # ---- internals ---------------------------------------------------------------

    def _spawn(self, target: object, *args: object, name: str) -> None:
        t = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        with self._lock:
            self._threads = [x for x in self._threads if x.is_alive()]
            self._threads.append(t)
        t.start()

    def _track(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.add(s)
        if self._stopping.is_set():
            _close(s)

    def _untrack(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(s)
        _close(s)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, peer = self._listener.accept()
            except OSError:
                return  # listener closed by stop()
            self._track(conn)
            self._spawn(self._serve, conn, peer, name=f"connect-proxy-{peer[1]}")

    def _record(self, req: ProxyRequest) -> None:
        with self._lock:
            self._requests.append(req)
        log.info(
            "CONNECT proxy: %s %s from %s:%d user=%s -> %d %s",
            req.method,
            req.target,
            req.client[0],
            req.client[1],
            req.username or "-",
            req.status,
            req.reason,
        )

    def _serve(self, conn: socket.socket, peer: tuple[str, int]) -> None:
        upstream: socket.socket | None = None
        try:
            head, rest = self._read_head(conn)
            if head is None:
                return
            _, upstream = self._handle(conn, (peer[0], peer[1]), head)
            if upstream is not None:
                if rest:
                    upstream.sendall(rest)
                self._relay(conn, upstream)
        except OSError as exc:
            log.debug("CONNECT proxy connection from %s ended: %s", peer, exc)
        finally:
            if upstream is not None:
                self._untrack(upstream)
            self._untrack(conn)

    def _read_head(self, conn: socket.socket) -> tuple[bytes | None, bytes]:
        conn.settimeout(self._header_timeout)
        data = b""
        while b"\r\n\r\n" not in data:
            if len(data) > MAX_HEADER_BYTES:
                _answer(conn, 431, "Request Header Fields Too Large")
                return None, b""
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                return None, b""
            if not chunk:
                return None, b""
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        return head, rest

    def _handle(
        self, conn: socket.socket, peer: tuple[str, int], head: bytes
    ) -> tuple[ProxyRequest, socket.socket | None]:
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        headers: list[tuple[str, str]] = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers.append((name.strip(), value.strip()))
        sent, shown = _credentials(headers)
        user = sent[0] if sent is not None else None

        # each request is recorded before it is answered: whoever reads the answer
        # (a test, the runner's proxy checks) then finds it in `requests`
        def done(status: int, reason: str, target: str = "") -> tuple[ProxyRequest, None]:
            extra = ['Proxy-Authenticate: Basic realm="fixs-harness"'] if status == 407 else []
            method = parts[0] if parts else ""
            req = ProxyRequest(peer, method, target, status, reason, user, shown)
            self._record(req)
            _answer(conn, status, _PHRASES[status], extra)
            return req, None

        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return done(400, "malformed request line")
        method, target = parts[0], parts[1]
        if method != "CONNECT":
            return done(405, "only CONNECT is supported", target)
        if self._username is not None:
            if sent is None:
                return done(407, "authentication required", target)
            if not _credentials_match(sent, self._username, self._password or ""):
                return done(407, "wrong credentials", target)
        address = self._parse_target(target)
        if isinstance(address, Refusal):
            return done(address.status, address.reason, target)
        try:
            upstream = socket.create_connection(address, timeout=self._connect_timeout)
        except OSError as exc:
            return done(502, f"target unreachable: {exc.strerror or exc}", target)
        self._track(upstream)
        req = ProxyRequest(peer, method, target, 200, "tunnel open", user, shown)
        self._record(req)
        _answer(conn, 200, "Connection established")
        return req, upstream

    def _parse_target(self, target: str) -> tuple[str, int] | Refusal:
        """``(ip, port)``, or why the target is refused."""
        host, sep, port_text = target.rpartition(":")
        if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
            return Refusal(400, "target must be host:port")
        host = host.strip("[]")
        if host.lower() == "localhost":
            host = "127.0.0.1"
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            # Refuse rather than resolve: the harness does no DNS look-ups.
            return Refusal(403, f"target not allowed: {host} is not an IP address")
        if ip not in self._allowed:
            return Refusal(403, f"target not allowed: {ip} is outside {self._allowed}")
        return str(ip), int(port_text)

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        """Copy bytes both ways until both directions are closed (half-close aware)."""
        a.settimeout(None)
        b.settimeout(None)
        peer_of = {a: b, b: a}
        open_readers = [a, b]
        while open_readers and not self._stopping.is_set():
            try:
                ready, _, _ = select.select(open_readers, [], [], 0.5)
            except (OSError, ValueError):
                return  # a socket was closed under us by stop()
            for src in ready:
                try:
                    data = src.recv(65536)
                except OSError:
                    return
                dst = peer_of[src]
                if data:
                    dst.sendall(data)
                else:
                    open_readers.remove(src)
                    with contextlib.suppress(OSError):
                        dst.shutdown(socket.SHUT_WR)


_PHRASES = {
    200: "Connection established",
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    407: "Proxy Authentication Required",
    431: "Request Header Fields Too Large",
    502: "Bad Gateway",
}


def _answer(conn: socket.socket, status: int, phrase: str, extra: list[str] | None = None) -> None:
    lines = [f"HTTP/1.1 {status} {phrase}", *(extra or [])]
    if status != 200:
        lines += ["Content-Length: 0", "Connection: close"]
    with contextlib.suppress(OSError):
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def _decode_basic(value: str) -> tuple[str, str] | None:
    scheme, _, token = value.partition(" ")
    # stunnel writes "basic" in lower case; schemes are case-insensitive (RFC 9110 11.1).
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None


def _credentials(
    headers: list[tuple[str, str]],
) -> tuple[tuple[str, str] | None, tuple[tuple[str, str], ...]]:
    """The Basic credentials sent (first ``Proxy-Authorization``, if it decodes) and
    the headers with every credential redacted, fit to record."""
    auth = [value for name, value in headers if name.lower() == "proxy-authorization"]
    sent = _decode_basic(auth[0]) if auth else None
    shown = tuple(
        (name, f"{value.partition(' ')[0]} {REDACTED}")
        if name.lower() == "proxy-authorization"
        else (name, value)
        for name, value in headers
    )
    return sent, shown


def _credentials_match(sent: tuple[str, str], username: str, password: str) -> bool:
    # Compare both in constant time, and both always, so timing tells nothing.
    u_ok = hmac.compare_digest(sent[0].encode(), username.encode())
    p_ok = hmac.compare_digest(sent[1].encode(), password.encode())
    return u_ok and p_ok


def _close(s: socket.socket) -> None:
    with contextlib.suppress(OSError):
        s.shutdown(socket.SHUT_RDWR)
    s.close()
