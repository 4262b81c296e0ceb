"""Backend ``python``: the embedded Python tunnel, run in this process (threads).

In-process keeps a scenario's start-up in milliseconds; the tunnel's threads are
stopped on every path by :meth:`PythonTunnel.stop`. Its log goes to a file in the
stunnel format, and it can write an NSS key log so that TLS 1.3 handshakes it takes
part in can be decrypted by the dissector.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness import __version__, signals
from harness.backends.base import (
    Availability,
    Registry,
    Tunnel,
    TunnelBackend,
    TunnelStartError,
    write_private,
)
from harness.errors import HarnessError
from harness.stunnelconf import StunnelConfig, resolve
from harness.tunnel.log import StunnelLog
from harness.tunnel.proxy import Tunnel as ProxyTunnel
from harness.tunnel.support import check_supported

#: The in-process tunnels still running, stopped by a stop signal's first act.
_LIVE = Registry()
signals.register_aborter(_LIVE.stop_all)


class PythonTunnel(Tunnel):
    backend = "python"

    def __init__(self, proxy: ProxyTunnel, log: StunnelLog, log_path: Path) -> None:
        self._proxy = proxy
        self._log = log
        self.log_path = log_path
        self._stopped = False
        _LIVE.add(self)

    def health(self) -> str | None:
        if self._stopped:
            return None
        threads = [t for t in self._proxy._threads if t.name.startswith("accept-")]
        dead = sorted(t.name for t in threads if not t.is_alive())
        if dead:
            return f"stopped accepting: thread(s) {', '.join(dead)} ended"
        return None

    @property
    def bound(self) -> dict[str, list[tuple[str, int]]]:
        return self._proxy.bound

    @property
    def pid(self) -> int | None:
        return os.getpid()

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        _LIVE.discard(self)
        try:
            self._proxy.stop()
        finally:
            self._log.close()


class PythonBackend(TunnelBackend):
    name = "python"

    def __init__(self, *, hex_psk_keys: bool = True) -> None:
        self._hex = hex_psk_keys

    def check(self) -> Availability:
        # pyOpenSSL runs on the OpenSSL that cryptography bundles, not the system's
        from cryptography.hazmat.backends.openssl.backend import backend

        return Availability(
            True, version=f"fixs-harness {__version__} ({backend.openssl_version_text()})"
        )

    def start(
        self,
        config: StunnelConfig,
        workdir: Path,
        *,
        label: str,
        keylog: Path | None = None,
        timeout: float = 15.0,
    ) -> Tunnel:
        log_path = workdir / f"{label}.log"
        write_private(workdir / f"{label}.conf", config.render())
        try:
            check_supported(config)
            resolved = resolve(config)
            check_supported(resolved)
        except HarnessError as exc:
            log_path.write_text(f"[!] {exc}\n[!] Configuration failed\n", encoding="utf-8")
            raise TunnelStartError(str(exc), log_path.read_text()) from None
        level = max([resolved.globals.debug_level, *(s.debug_level for s in resolved.services)])
        log = StunnelLog(level=level, path=str(log_path))
        try:
            proxy = ProxyTunnel(
                resolved, log, keylog_path=str(keylog) if keylog else None, hex_psk_keys=self._hex
            )
            proxy.start()
        except HarnessError as exc:
            log.log(3, "ui", str(exc))
            log.log(3, "ui", "Configuration failed")
            log.close()
            raise TunnelStartError(str(exc), log_path.read_text()) from None
        except BaseException:
            log.close()
            raise
        return PythonTunnel(proxy, log, log_path)
