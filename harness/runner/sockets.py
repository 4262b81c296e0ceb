"""Socket options read off live sockets of a running tunnel, whatever runs it.

Theory of operation: ``/proc/<pid>/net/tcp`` maps socket inodes to addresses,
``/proc/<pid>/fd`` maps the process's descriptors to inodes; a descriptor of
another process is duplicated into ours with ``pidfd_getfd(2)`` (root, or the same
user with ptrace rights), of our own process with ``dup``. ``getsockopt`` on the copy
reads the option the tunnel really set, so ``socket.nodelay`` is checked on the
wire-carrying sockets themselves, not inferred from the config.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import struct
from dataclasses import dataclass

_SYS_PIDFD_GETFD = 438  # same number on x86_64 and aarch64 (new-style syscall table)


@dataclass(frozen=True)
class LiveSocket:
    pid: int
    fd: int
    local: tuple[str, int]
    remote: tuple[str, int]
    listening: bool


def _decode(addr: str) -> tuple[str, int]:
    host_hex, port_hex = addr.split(":")
    if len(host_hex) == 8:
        host = socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(host_hex, 16)))
    else:
        raw = bytes.fromhex(host_hex)
        host = socket.inet_ntop(
            socket.AF_INET6, b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
        )
        if host.startswith("::ffff:"):
            host = host[7:]
    return host, int(port_hex, 16)


def _inodes(pid: int) -> dict[int, tuple[tuple[str, int], tuple[str, int], bool]]:
    out: dict[int, tuple[tuple[str, int], tuple[str, int], bool]] = {}
    for table in ("tcp", "tcp6"):
        try:
            with open(f"/proc/{pid}/net/{table}", encoding="ascii") as fh:
                next(fh)
                for line in fh:
                    parts = line.split()
                    local, remote, state, inode = parts[1], parts[2], parts[3], int(parts[9])
                    out[inode] = (_decode(local), _decode(remote), state == "0A")
        except OSError:
            continue
    return out


def live_sockets(pid: int) -> list[LiveSocket]:
    """TCP sockets the process holds (empty when /proc cannot be read)."""
    table = _inodes(pid)
    found: list[LiveSocket] = []
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return []
    for name in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if not target.startswith("socket:["):
            continue
        inode = int(target[8:-1])
        if inode in table:
            local, remote, listening = table[inode]
            found.append(LiveSocket(pid, int(name), local, remote, listening))
    return found


def _dup_from(pid: int, fd: int) -> int:
    if pid == os.getpid():
        return os.dup(fd)
    pidfd = os.pidfd_open(pid)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        new = libc.syscall(_SYS_PIDFD_GETFD, pidfd, fd, 0)
        if new < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err))
        return int(new)
    finally:
        os.close(pidfd)


def tcp_nodelay(sock: LiveSocket) -> bool:
    """TCP_NODELAY as set on the live socket (raises OSError when not readable)."""
    fd = _dup_from(sock.pid, sock.fd)
    try:
        s = socket.socket(fileno=fd)
    except OSError:
        os.close(fd)
        raise
    try:
        return bool(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
    finally:
        with contextlib.suppress(OSError):
            s.detach()
        os.close(fd)
