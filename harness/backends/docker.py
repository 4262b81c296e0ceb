"""Backend ``stunnel-docker/SUITE``: real stunnel of one Debian suite in a container.

Shares the stunnel manager (:mod:`harness.backends.stunnel_process`: config
preparation, readiness, start error, clean-up registry) and log parsing with
``stunnel-local``; only where stunnel runs differs
(:class:`harness.backends.docker_launcher.StunnelContainer`: host networking on
loopback, files mounted read-only, labelled and removed on every path). The files the config names (certificates, keys, CRLs, PSK
secrets) are copied into the tunnel's own directory, which is the only thing
mounted, and the config is rewritten to point at the copies.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from harness.backends.base import (
    Availability,
    BackendUnavailable,
    Tunnel,
    TunnelBackend,
    TunnelStartError,
)
from harness.errors import HarnessError
from harness.stunnelconf import StunnelConfig
from harness.stunnelconf.rewrite import PATH_OPTIONS

#: Names the environment variable that sets the run label (CI jobs, tests): with it, a
#: caller counts or prunes only its own containers, never another job's.
RUN_ID_ENV = "FIXS_HARNESS_RUN"

#: One id for everything this process starts, in the containers' run label
#: (``fixs-harness.run``); taken from ``$FIXS_HARNESS_RUN`` when set.
RUN_ID = os.environ.get(RUN_ID_ENV) or f"fixs-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _copy_referenced_files(config: StunnelConfig, into: Path) -> StunnelConfig:
    """Copy every file/dir the config names into ``into`` and point the config there."""
    into.mkdir(parents=True, exist_ok=True)
    mapping: dict[str, str] = {}
    for section in (config.global_section, *config.services):
        for opt in section.options:
            if opt.name not in PATH_OPTIONS or opt.value in mapping:
                continue
            src = Path(opt.value)
            if not src.is_absolute() or not src.exists():
                continue  # stunnel will say what is wrong with it
            dst = into / f"{len(mapping):02d}-{src.name}"
            if src.is_dir():
                shutil.copytree(src, dst, symlinks=False)
            else:
                shutil.copy2(src, dst)
                if src.stat().st_mode & 0o077 == 0:
                    dst.chmod(0o600)
            mapping[opt.value] = str(dst)
    out = config
    for name in [None, *config.service_names]:
        for option in PATH_OPTIONS:
            out = out.map_values(name, option, lambda v: mapping.get(v, v))
    return out


class DockerStunnel(Tunnel):
    def __init__(self, container: Any, log_path: Path, suite: str) -> None:
        self._container = container
        self.log_path = log_path
        self.backend = f"stunnel-docker/{suite}"
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def bound(self) -> dict[str, list[tuple[str, int]]]:
        return {name: [addr] for name, addr in self._container.bound.items()}

    @property
    def pid(self) -> int | None:
        return self._container.pid

    health_interval = 1.0

    def health(self) -> str | None:
        if self._stopped:
            return None
        return self._container.health()

    def log_text(self) -> str:
        if self._stopped:
            return super().log_text()
        return str(self._container.logs())

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            final = self._container.stop()
            self.log_path.write_text(final, encoding="utf-8")
            self._stopped = True


class DockerStunnelBackend(TunnelBackend):
    def __init__(self, suite: str) -> None:
        self.suite = suite
        self.name = f"stunnel-docker/{suite}"
        self._availability: Availability | None = None

    def check(self) -> Availability:
        if self._availability is not None:
            return self._availability
        from harness.backends import docker_images

        try:
            client = docker_images.connect(timeout=5)
        except HarnessError as exc:
            self._availability = Availability(False, str(exc))
            return self._availability
        try:
            info = docker_images.find_image(client, self.suite)
        finally:
            client.close()
        if info is None:
            self._availability = Availability(
                False,
                f"image {docker_images.image_tag(self.suite)} is missing "
                f"(build it: fixs-harness images build --suite {self.suite})",
            )
        else:
            self._availability = Availability(
                True, version=f"stunnel {info.stunnel_version} (OpenSSL {info.openssl_version})"
            )
        return self._availability

    def start(
        self,
        config: StunnelConfig,
        workdir: Path,
        *,
        label: str,
        keylog: Path | None = None,
        timeout: float = 20.0,
    ) -> Tunnel:
        from harness.backends import docker_images
        from harness.backends.docker_launcher import StunnelContainer

        avail = self.check()
        if not avail.ok:
            raise BackendUnavailable(avail.reason)
        mount = (workdir / f"{label}-docker").resolve()
        if mount.exists():
            shutil.rmtree(mount)
        local = _copy_referenced_files(config, mount / "files")
        (workdir / f"{label}.conf").write_text(local.render(), encoding="utf-8")
        (workdir / f"{label}.conf").chmod(0o600)
        container = StunnelContainer(
            docker_images.image_tag(self.suite),
            local,
            mount,
            run_id=RUN_ID,
            name=label,
            ready_timeout=timeout,
        )
        log_path = workdir / f"{label}.log"
        try:
            container.start()
        except TunnelStartError as exc:
            log_path.write_text(exc.log, encoding="utf-8")
            raise
        return DockerStunnel(container, log_path, self.suite)
