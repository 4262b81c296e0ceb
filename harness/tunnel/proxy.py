"""The Python TLS proxy: stunnel's services, one thread per connection.

Theory of operation: each ``accept`` address gets a listening socket and a thread that
accepts connections. Each connection gets a thread that does what stunnel does:

- server mode (``client = no``): TLS handshake on the accepted socket, then connect
  to the ``connect`` target (plain TCP) and relay;
- client mode: connect to the ``connect`` target (through an HTTP proxy with
  ``protocol = connect``), TLS handshake as a client, then relay.

The relay is one thread polling both sockets: plain bytes are written to TLS and TLS
records to the plain socket. A plain-side EOF sends ``close_notify`` and a received
``close_notify`` half-closes the plain socket (``shutdown(SHUT_WR)``), so FIX Logout
followed by a disconnect reaches the other side in order. A reset on either side is
propagated as a reset (``SO_LINGER`` 0), as stunnel's ``reset = yes``.

Connections are capped (:data:`DEFAULT_MAX_CLIENTS`, ``--max-clients``): stunnel
derives its limit from the file-descriptor limit ("Clients allowed=9765" with 20,000
descriptors), which for a thread per connection would mean thousands of threads.
Past the cap a new connection is closed at once and logged as stunnel logs it
(``Connection rejected: too many clients (>=N)``). When the live connections drop to
zero, or below half of their peak, freed heap is handed back to the system
(``malloc_trim``): glibc's per-thread arenas otherwise keep what thousands of
connection threads used (2,000 idle connections: 170 MB, 152 MB kept after release;
with the trim, 60 MB).

Why one thread per connection with blocking plain writes: a FIX tunnel carries few
connections with small messages; this design keeps each hop to one ``poll``, one
``recv`` and one ``send`` in C, which keeps the round-trip time close to stunnel's
(see bench/). The TLS socket is non-blocking (OpenSSL's WANT_READ/WANT_WRITE are waited
for with ``poll``); OpenSSL objects are only ever used by their connection's thread.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import ctypes.util
import errno
import functools
import itertools
import os
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from OpenSSL import SSL

from harness.errors import HarnessError
from harness.stunnelconf import Address, ResolvedConfig, ServiceSettings
from harness.tunnel import ossl
from harness.tunnel.log import DEBUG, ERR, INFO, NOTICE, WARNING, ConnLog, StunnelLog
from harness.tunnel.ossl import ffi as _ffi
from harness.tunnel.ossl import lib as _lib
from harness.tunnel.tlsctx import ServiceTLS, TLSConnState, _ssl_error_text

BUFSIZE = 16384

#: Concurrent connections per tunnel (all services together). FIX tunnels carry a
#: handful of sessions; 500 threads is far above that and far below what exhausts
#: a small machine.
DEFAULT_MAX_CLIENTS = 500
_POLLIN = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR

_SOCKOPTS: dict[str, tuple[int, int]] = {
    "TCP_NODELAY": (socket.IPPROTO_TCP, socket.TCP_NODELAY),
    "SO_REUSEADDR": (socket.SOL_SOCKET, socket.SO_REUSEADDR),
    "SO_KEEPALIVE": (socket.SOL_SOCKET, socket.SO_KEEPALIVE),
    "SO_RCVBUF": (socket.SOL_SOCKET, socket.SO_RCVBUF),
    "SO_SNDBUF": (socket.SOL_SOCKET, socket.SO_SNDBUF),
    "SO_REUSEPORT": (socket.SOL_SOCKET, socket.SO_REUSEPORT),
    "SO_OOBINLINE": (socket.SOL_SOCKET, socket.SO_OOBINLINE),
    "SO_DONTROUTE": (socket.SOL_SOCKET, socket.SO_DONTROUTE),
    "TCP_KEEPCNT": (socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
    "TCP_KEEPIDLE": (socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
    "TCP_KEEPINTVL": (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
    "TCP_MAXSEG": (socket.IPPROTO_TCP, socket.TCP_MAXSEG),
    "IP_TOS": (socket.IPPROTO_IP, socket.IP_TOS),
    "IP_TTL": (socket.IPPROTO_IP, socket.IP_TTL),
}


class ConnectionFailed(Exception):
    """Ends one connection (logged by the connection thread, never fatal to the tunnel)."""


def apply_socket_options(sock: socket.socket, svc: ServiceSettings, target: str) -> None:
    for opt in svc.socket_options:
        if opt.target != target:
            continue
        if opt.name == "SO_LINGER":
            on, _, secs = opt.value.partition(":")
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", int(on), int(secs or 0))
            )
            continue
        level_name = _SOCKOPTS.get(opt.name)
        if level_name is None:
            continue  # known to stunnel; refused earlier by the python backend check
        sock.setsockopt(level_name[0], level_name[1], int(opt.value))


def _fmt(addr: tuple[object, ...]) -> str:
    host, port = str(addr[0]), addr[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _wait(sock: socket.socket, write: bool, deadline: float) -> None:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ConnectionFailed("TLS handshake timed out")
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLOUT if write else _POLLIN)
    if not poller.poll(remaining * 1000):
        raise ConnectionFailed("TLS handshake timed out")


@functools.cache
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim``, or None (looked up once: find_library runs ldconfig)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def _release_heap() -> None:
    """Return freed heap to the system (glibc only; a no-op elsewhere)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _socket_error(op: str, exc: OSError | SSL.SysCallError) -> tuple[int, str]:
    """(level, text) for a socket error during ``op``, worded as stunnel's
    ``parse_socket_error``: a closed socket (EPIPE) at INFO, anything else at ERR
    as ``op: strerror (errno)``."""
    code = exc.errno if isinstance(exc, OSError) else exc.args[0] if exc.args else 0
    if not isinstance(code, int) or code <= 0:
        detail = exc.args[-1] if exc.args else exc
        return ERR, f"{op}: Unexpected socket EOF ({detail})"
    if code in (errno.EPIPE, errno.ECONNABORTED):
        return INFO, f"{op}: Socket is closed"
    return ERR, f"{op}: {os.strerror(code)} ({code})"


def _abort(sock: socket.socket | None) -> None:
    """Close with a TCP reset (stunnel's ``reset = yes`` on errors)."""
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


@dataclass
class _Service:
    settings: ServiceSettings
    tls: ServiceTLS
    listeners: list[socket.socket] = field(default_factory=list)
    bound: list[tuple[str, int]] = field(default_factory=list)


class Tunnel:
    """All services of one stunnel.conf, running in this process.

    Use as a context manager, or call :meth:`start` and :meth:`stop`. ``bound`` maps
    each service name to the addresses it listens on (ephemeral ports resolved).
    """

    def __init__(
        self,
        config: ResolvedConfig,
        log: StunnelLog,
        *,
        keylog_path: str | None = None,
        hex_psk_keys: bool = True,
        max_clients: int = DEFAULT_MAX_CLIENTS,
    ) -> None:
        if max_clients < 1:
            raise HarnessError(f"max clients must be 1 or more, not {max_clients}")
        self.config = config
        self.log = log
        self.max_clients = max_clients
        self._ui = ConnLog(log, "ui")
        self._services = [
            _Service(svc, ServiceTLS(svc, log, keylog_path=keylog_path, hex_psk_keys=hex_psk_keys))
            for svc in config.services
        ]
        self._ui(NOTICE, "Configuration successful")
        self._ui(DEBUG, f"Clients allowed={max_clients}")
        self._ids = itertools.count()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._active: dict[int, list[socket.socket]] = {}
        self._peak = 0  # most live connections since the heap was last released
        self._lock = threading.Lock()

    @property
    def bound(self) -> dict[str, list[tuple[str, int]]]:
        return {s.settings.name: list(s.bound) for s in self._services}

    # ---------------------------------------------------------------- life

    def start(self) -> dict[str, list[tuple[str, int]]]:
        try:
            for service in self._services:
                for addr in service.settings.accept:
                    self._bind(service, addr)
        except BaseException:
            self.stop()
            raise
        for service in self._services:
            for listener in service.listeners:
                t = threading.Thread(
                    target=self._accept_loop,
                    args=(service, listener),
                    name=f"accept-{service.settings.name}",
                    daemon=True,
                )
                t.start()
                self._threads.append(t)
        self._ui(INFO, "Accepting new connections")
        return self.bound

    def _bind(self, service: _Service, addr: Address) -> None:
        svc = service.settings
        host = addr.host if addr.host is not None else "::"
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            infos = socket.getaddrinfo(host, addr.port, family, socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise HarnessError(
                f"{svc.where('accept')}: Service [{svc.name}]: "
                f"Failed to resolve accepting address {addr.render()}: {exc}"
            ) from None
        sockaddr = infos[0][4]
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            apply_socket_options(sock, svc, "a")
            sock.bind(sockaddr)
            sock.listen(128)
        except OSError as exc:
            sock.close()
            raise HarnessError(
                f"{svc.where('accept')}: Error binding service [{svc.name}] to "
                f"{addr.render()}: {exc.strerror} ({exc.errno})"
            ) from None
        bound = sock.getsockname()
        service.listeners.append(sock)
        service.bound.append((bound[0], bound[1]))
        self._ui(INFO, f"Service [{svc.name}] (FD={sock.fileno()}) bound to {_fmt(bound)}")

    def stop(self) -> None:
        """Stop listening, reset live connections, join threads (bounded wait)."""
        self._stopping.set()
        for service in self._services:
            for listener in service.listeners:
                with contextlib.suppress(OSError):
                    listener.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    listener.close()
        with self._lock:
            live = [s for socks in self._active.values() for s in socks]
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + 5
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._threads = [t for t in self._threads if t.is_alive()]

    def __enter__(self) -> Tunnel:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self) -> None:
        """Block until :meth:`stop` (or a signal handler that calls it)."""
        while not self._stopping.wait(0.5):
            pass

    # ------------------------------------------------------------ accepting

    def _accept_loop(self, service: _Service, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                sock, peer = listener.accept()
            except OSError as exc:
                if self._stopping.is_set() or exc.errno in (errno.EBADF, errno.EINVAL):
                    return
                self._ui(ERR, f"accept: {exc.strerror} ({exc.errno})")
                time.sleep(0.05)
                continue
            conn_id = next(self._ids)
            t = threading.Thread(
                target=self._serve,
                args=(service, sock, peer, conn_id),
                name=f"conn-{conn_id}",
                daemon=True,
            )
            with self._lock:  # several accept threads (one per listener) add here
                full = len(self._active) >= self.max_clients
                if not full:
                    self._active[conn_id] = [sock]
                    self._peak = max(self._peak, len(self._active))
                    self._threads = [x for x in self._threads if x.is_alive()]
                    self._threads.append(t)
            if full:
                self._ui(WARNING, f"Connection rejected: too many clients (>={self.max_clients})")
                with contextlib.suppress(OSError):
                    sock.close()
                continue
            t.start()

    def _serve(
        self, service: _Service, local: socket.socket, peer: tuple[str, int], conn_id: int
    ) -> None:
        svc = service.settings
        log = ConnLog(self.log, str(conn_id))
        log(NOTICE, f"Service [{svc.name}] accepted connection from {_fmt(peer)}")
        remote: socket.socket | None = None
        counters = [0, 0]  # bytes sent to TLS, bytes sent to socket
        clean = False
        try:
            apply_socket_options(local, svc, "l")
            state = TLSConnState(log)
            if svc.client:
                remote = self._connect_remote(svc, log, conn_id)
                if svc.protocol == "connect":
                    self._http_connect(svc, remote, log)
                conn = self._handshake(service, remote, state, log)
                clean = self._relay(svc, local, conn, remote, log, counters)
            else:
                conn = self._handshake(service, local, state, log)
                remote = self._connect_remote(svc, log, conn_id)
                clean = self._relay(svc, remote, conn, local, log, counters)
        except ConnectionFailed as exc:
            log(ERR, str(exc))
        except OSError as exc:
            log(ERR, f"Connection error: {exc.strerror or exc} ({exc.errno})")
        except SSL.SysCallError as exc:  # a socket error inside OpenSSL, outside the relay
            log(*_socket_error("SSL", exc))
        except Exception as exc:  # never let one connection take the tunnel down
            log(ERR, f"Internal error: {exc!r}")
        finally:
            if clean:
                for s in (local, remote):
                    if s is not None:
                        with contextlib.suppress(OSError):
                            s.close()
                log(
                    NOTICE,
                    f"Connection closed: {counters[0]} byte(s) sent to TLS, "
                    f"{counters[1]} byte(s) sent to socket",
                )
            else:
                _abort(local)
                _abort(remote)
                log(
                    NOTICE,
                    f"Connection reset: {counters[0]} byte(s) sent to TLS, "
                    f"{counters[1]} byte(s) sent to socket",
                )
            with self._lock:
                self._active.pop(conn_id, None)
                live = len(self._active)
                release = live == 0 or (self._peak >= 32 and live * 2 < self._peak)
                if release:
                    self._peak = live
            if release:
                _release_heap()

    # ------------------------------------------------------------- remote

    def _connect_remote(self, svc: ServiceSettings, log: ConnLog, conn_id: int) -> socket.socket:
        last: OSError | None = None
        for addr in svc.connect:
            host = addr.host or "127.0.0.1"
            log(INFO, f"s_connect: connecting {host}:{addr.port}")
            try:
                infos = socket.getaddrinfo(host, addr.port, 0, socket.SOCK_STREAM)
            except OSError as exc:
                last = exc
                log(ERR, f"Error resolving '{host}': {exc}")
                continue
            for family, _, _, _, sockaddr in infos:
                sock = socket.socket(family, socket.SOCK_STREAM)
                try:
                    apply_socket_options(sock, svc, "r")
                    sock.settimeout(svc.timeout_connect)
                    sock.connect(sockaddr)
                    sock.settimeout(None)
                except OSError as exc:
                    sock.close()
                    last = exc
                    log(
                        ERR,
                        f"s_connect: connect {_fmt(sockaddr)}: {exc.strerror or exc} ({exc.errno})",
                    )
                    continue
                log(NOTICE, f"s_connect: connected {_fmt(sockaddr)}")
                log(
                    NOTICE,
                    f"Service [{svc.name}] connected remote server from {_fmt(sock.getsockname())}",
                )
                with self._lock:
                    self._active.setdefault(conn_id, []).append(sock)
                return sock
        reason = f"{last.strerror or last}" if last else "no connect address"
        raise ConnectionFailed(f"No more addresses to connect ({reason})")

    def _http_connect(self, svc: ServiceSettings, sock: socket.socket, log: ConnLog) -> None:
        """stunnel's ``protocol = connect`` (client side): RFC 2817 CONNECT."""
        target = svc.protocol_host
        if not target:
            raise ConnectionFailed("protocolHost not specified")
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
        if svc.protocol_username and svc.protocol_password:
            token = base64.b64encode(
                f"{svc.protocol_username}:{svc.protocol_password}".encode()
            ).decode()
            lines.append(f"Proxy-Authorization: basic {token}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        log(DEBUG, f" -> CONNECT {target} HTTP/1.1")
        sock.sendall(request)
        sock.settimeout(svc.timeout_connect)
        reply = b""
        try:
            while b"\r\n\r\n" not in reply:
                chunk = sock.recv(1)  # byte-wise: never read past the proxy's headers
                if not chunk:
                    raise ConnectionFailed("CONNECT: proxy closed the connection")
                reply += chunk
                if len(reply) > 65536:
                    raise ConnectionFailed("CONNECT: proxy reply too long")
        finally:
            sock.settimeout(None)
        status = reply.split(b"\r\n", 1)[0].decode("latin-1")
        log(DEBUG, f" <- {status}")
        if not (status.startswith("HTTP/1.0 2") or status.startswith("HTTP/1.1 2")):
            raise ConnectionFailed(f"CONNECT request rejected: {status}")

    # ------------------------------------------------------------ TLS

    def _handshake(
        self, service: _Service, sock: socket.socket, state: TLSConnState, log: ConnLog
    ) -> SSL.Connection:
        svc = service.settings
        sock.setblocking(False)
        conn = service.tls.new_connection(sock, state)
        if svc.request_cert:
            log(
                INFO,
                "Peer certificate required" if svc.require_cert else "Peer certificate requested",
            )
        deadline = time.monotonic() + svc.timeout_busy
        op = "SSL_connect" if svc.client else "SSL_accept"
        while True:
            try:
                conn.do_handshake()
                break
            except SSL.WantReadError:
                _wait(sock, False, deadline)
            except SSL.WantWriteError:
                _wait(sock, True, deadline)
            except SSL.SysCallError as exc:
                raise ConnectionFailed(
                    f"{op}: Peer suddenly disconnected ({exc.args[-1]})"
                ) from None
            except SSL.Error as exc:
                raise ConnectionFailed(f"{op}: {_ssl_error_text(exc)}") from None
        reused = bool(_lib.SSL_session_reused(ossl.ssl_ptr(conn)))
        side = "connected" if svc.client else "accepted"
        log(
            INFO, f"TLS {side}: {'previous session reused' if reused else 'new session negotiated'}"
        )
        version = conn.get_protocol_version_name()
        log(
            INFO,
            f"{version} ciphersuite: {conn.get_cipher_name()} "
            f"({conn.get_cipher_bits()}-bit encryption)",
        )
        if svc.client:
            group = conn.get_group_name()
            described = _GROUPS.get(group or "")
            if described:
                log(INFO, f"Peer temporary key: {described}")
            service.tls.remember_session(conn)
        else:
            log(INFO, "No peer temporary key received")
        return conn

    # ------------------------------------------------------------ relay

    def _relay(
        self,
        svc: ServiceSettings,
        plain: socket.socket,
        conn: SSL.Connection,
        tls_sock: socket.socket,
        log: ConnLog,
        counters: list[int],
    ) -> bool:
        """Move bytes both ways until both directions are closed. Returns True for a
        clean close (both EOFs seen), False for a reset or error.

        The hot path calls OpenSSL through cffi directly (``SSL_read``/``SSL_write``
        on two buffers allocated once per connection) instead of pyOpenSSL's
        ``recv``/``send``, which allocate a 16 KiB buffer, copy it into a new bytes
        object and run the error checks on every call. Errors (``result <= 0``) still
        go through pyOpenSSL's own error mapping (:func:`ossl.raise_ssl_error`), so
        the exceptions, and hence the logged messages, are the same as with
        ``recv``/``send``.
        """
        plain.setblocking(True)
        fd_plain, fd_tls = plain.fileno(), tls_sock.fileno()
        poller = select.poll()
        poller.register(fd_plain, _POLLIN)
        poller.register(fd_tls, _POLLIN)
        plain_open = tls_open = True
        idle_ms = svc.timeout_idle * 1000
        tls_ready = [(fd_tls, select.POLLIN)]
        ssl = ossl.ssl_ptr(conn)
        ssl_read, ssl_pending = _lib.SSL_read, _lib.SSL_pending
        from_tls = _ffi.new("char[]", BUFSIZE)  # TLS → plain
        from_tls_view = memoryview(_ffi.buffer(from_tls))
        to_tls = _ffi.new("char[]", BUFSIZE)  # plain → TLS
        to_tls_view = memoryview(_ffi.buffer(to_tls))
        recv_into, send = plain.recv_into, plain.sendall
        while plain_open or tls_open:
            if tls_open and ssl_pending(ssl):
                events = tls_ready  # decrypted bytes left over from the last record
            else:
                timeout = idle_ms if (plain_open and tls_open) else svc.timeout_close * 1000
                events = poller.poll(timeout)
                if not events:
                    log(
                        INFO,
                        "Connection timeout" if plain_open and tls_open else "TLS close timeout",
                    )
                    return plain_open is False and tls_open is False
            for fd, _ev in events:
                if fd == fd_tls:
                    n = ssl_read(ssl, from_tls, BUFSIZE)
                    if n <= 0:
                        try:
                            ossl.raise_ssl_error(conn, ssl, n)
                        except SSL.WantReadError:
                            continue
                        except SSL.ZeroReturnError:
                            log(INFO, "TLS closed (SSL_read)")
                            tls_open = False
                            poller.unregister(fd_tls)
                            with contextlib.suppress(OSError):
                                plain.shutdown(socket.SHUT_WR)
                            continue
                        except SSL.SysCallError as exc:
                            log(*_socket_error("SSL_read", exc))
                            return False
                        except SSL.Error as exc:
                            log(ERR, f"SSL_read: {_ssl_error_text(exc)}")
                            return False
                        continue  # SSL_ERROR_NONE without data: nothing to move
                    try:
                        send(from_tls_view[:n])
                    except OSError as exc:  # the plain peer reset (or closed) mid-write
                        log(*_socket_error("writesocket", exc))
                        return False
                    counters[1] += n
                else:
                    try:
                        n = recv_into(to_tls_view)
                    except ConnectionResetError as exc:  # stunnel: parse_socket_error
                        log(*_socket_error("readsocket", exc))
                        return False
                    if not n:
                        log(INFO, "Read socket closed (read hangup)")
                        plain_open = False
                        poller.unregister(fd_plain)
                        self._send_close_notify(conn, tls_sock, log)
                        continue
                    try:
                        self._tls_sendall(conn, tls_sock, to_tls, n)
                    except SSL.SysCallError as exc:  # the TLS peer reset mid-write
                        log(*_socket_error("SSL_write", exc))
                        return False
                    except SSL.Error as exc:
                        log(ERR, f"SSL_write: {_ssl_error_text(exc)}")
                        return False
                    counters[0] += n
        return True

    @staticmethod
    def _tls_sendall(conn: SSL.Connection, sock: socket.socket, buf: Any, length: int) -> None:
        """Write ``length`` bytes of the cffi buffer ``buf`` as TLS records.

        Partial writes are enabled (``SSL_MODE_ENABLE_PARTIAL_WRITE``) and the write
        buffer may move (``SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER``), so a retry after
        WANT_WRITE passes the rest of the same bytes from the new offset.
        """
        ssl, ssl_write = ossl.ssl_ptr(conn), _lib.SSL_write
        offset = 0
        while offset < length:
            n = ssl_write(ssl, buf + offset, length - offset)
            if n > 0:
                offset += n
                continue
            try:
                ossl.raise_ssl_error(conn, ssl, n)
            except (SSL.WantWriteError, SSL.WantReadError):
                _wait(sock, True, time.monotonic() + 60)
                continue
            raise SSL.Error([("SSL routines", "SSL_write", f"returned {n}")])

    @staticmethod
    def _send_close_notify(conn: SSL.Connection, sock: socket.socket, log: ConnLog) -> None:
        try:
            conn.shutdown()
            log(INFO, "SSL_shutdown successfully sent close_notify alert")
        except (SSL.WantWriteError, SSL.WantReadError):
            log(INFO, "SSL_shutdown successfully sent close_notify alert")
        except SSL.Error as exc:
            log(WARNING, f"SSL_shutdown: {_ssl_error_text(exc)}")


_GROUPS = {
    "x25519": "X25519, 253 bits",
    "X25519": "X25519, 253 bits",
    "x448": "X448, 448 bits",
    "secp256r1": "ECDH, P-256, 256 bits",
    "prime256v1": "ECDH, P-256, 256 bits",
    "secp384r1": "ECDH, P-384, 384 bits",
    "secp521r1": "ECDH, P-521, 521 bits",
}


def pid_write(path: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{os.getpid()}\n")
