"""Start-up of the Python tunnel as stunnel does it: read and check the config, build
every TLS context, bind, then chroot and drop privileges, write the pid file, serve.

Configuration errors are reported before anything is bound, with file and line; a
process that fails to start leaves nothing running.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import signal
import sys
import threading
from dataclasses import dataclass
from types import FrameType

from harness.errors import HarnessError
from harness.stunnelconf import ResolvedConfig, parse_config, parse_file, resolve
from harness.tunnel.log import NOTICE, StunnelLog
from harness.tunnel.proxy import Tunnel, pid_write
from harness.tunnel.support import check_supported


@dataclass(frozen=True)
class TunnelOptions:
    keylog_path: str | None = None
    hex_psk_keys: bool = True  # stunnel ≥ 5.51 semantics
    log_to_stderr: bool | None = None  # None: as the config's foreground/output say
    max_clients: int | None = None  # None: the proxy's DEFAULT_MAX_CLIENTS


def load(path: str | None = None, *, text: str | None = None) -> ResolvedConfig:
    """Parse, resolve and check a config for the Python tunnel (raises ConfigError)."""
    if text is not None:
        config = parse_config(text, path=path or "<string>")
    elif path is not None:
        config = parse_file(path)
    else:
        raise HarnessError("no configuration given")
    check_supported(config)
    resolved = resolve(config)
    check_supported(resolved)
    return resolved


def make_log(resolved: ResolvedConfig, options: TunnelOptions) -> StunnelLog:
    g = resolved.globals
    level = max([g.debug_level, *(s.debug_level for s in resolved.services)])
    to_stderr = options.log_to_stderr
    if to_stderr is None:
        to_stderr = g.foreground == "yes" or (g.output is None and g.foreground != "quiet")
    return StunnelLog(
        level=level, stream=sys.stderr if to_stderr else None, path=g.output, defer=True
    )


def _drop_privileges(resolved: ResolvedConfig) -> None:
    g = resolved.globals
    uid = gid = None
    try:
        if g.setgid:
            gid = int(g.setgid) if g.setgid.isdigit() else grp.getgrnam(g.setgid).gr_gid
        if g.setuid:
            uid = int(g.setuid) if g.setuid.isdigit() else pwd.getpwnam(g.setuid).pw_uid
    except KeyError as exc:
        raise HarnessError(f"{g.location}: unknown user or group {exc}") from None
    if g.chroot:
        try:
            os.chroot(g.chroot)
            os.chdir("/")
        except OSError as exc:
            raise HarnessError(f"chroot {g.chroot}: {exc.strerror}") from None
    try:
        if gid is not None:
            os.setgroups([gid])
            os.setgid(gid)
        if uid is not None:
            os.setuid(uid)
    except OSError as exc:
        raise HarnessError(f"setuid/setgid: {exc.strerror}") from None


def private_file(path: str) -> None:
    """Create ``path`` for appending secrets, owner-only; an existing file (e.g. a
    0644 key log from elsewhere) is tightened to 0600 before a secret is added."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise HarnessError(f"--keylog {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def run(path: str, options: TunnelOptions) -> int:
    """Run the tunnel in the foreground until SIGINT, SIGTERM or SIGHUP. Returns the
    exit code: 128 + the signal (130, 143, 129), as every harness command stopped by
    a signal; a later signal during the clean-up is only noted."""
    resolved = load(path)
    log = make_log(resolved, options)
    log.log(NOTICE, "ui", f"fixs-harness python tunnel reading configuration from file {path}")
    if resolved.globals.foreground == "no":
        log.log(NOTICE, "ui", "foreground = no: the Python tunnel always runs in the foreground")
    if resolved.globals.syslog and resolved.globals.output is None:
        log.log(NOTICE, "ui", "syslog is not used: logging to stderr")
    if options.keylog_path:
        private_file(options.keylog_path)
    try:
        limit = {} if options.max_clients is None else {"max_clients": options.max_clients}
        tunnel = Tunnel(
            resolved,
            log,
            keylog_path=options.keylog_path,
            hex_psk_keys=options.hex_psk_keys,
            **limit,
        )
    except BaseException:
        log.close()
        raise
    stop = threading.Event()
    caught: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if not caught:
            caught.append(signum)
        stop.set()

    previous = {
        s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    }
    try:
        tunnel.start()
        _drop_privileges(resolved)
        log.release()
        if resolved.globals.pid:
            pid_write(resolved.globals.pid)
        while not stop.wait(0.5):
            pass
        log.log(NOTICE, "ui", "Terminated")
        return 128 + caught[0] if caught else 0
    finally:
        tunnel.stop()
        for s, handler in previous.items():
            signal.signal(s, handler)
        if resolved.globals.pid:
            with contextlib.suppress(OSError):
                os.unlink(resolved.globals.pid)
        log.close()
