"""Run one real stunnel in a Docker container, and never leak it.

Theory of operation
-------------------
:class:`StunnelContainer` is the launcher of the ``stunnel-docker`` backend: the
container side of the shared stunnel manager (:mod:`harness.backends.stunnel_process`,
which also runs ``stunnel-local``). Given an image (``fixs-harness/stunnel:SUITE``),
a :class:`StunnelConfig` (or its text) whose paths point into a *run directory* on
the host, a run id and a name, it:

1. prepares the config with the manager (:func:`~harness.backends.stunnel_process.prepare`):
   every ``accept`` must listen on loopback (a bare ``accept = 7777`` would listen on
   every interface of the host: the container uses host networking), and the global
   options the runner owns (:data:`harness.stunnelconf.rewrite.PROCESS_GLOBALS`:
   ``output``, ``pid``, ``syslog``, ``foreground``, ``chroot``, ``setuid``,
   ``setgid``) are replaced by ``foreground = yes`` (log to stderr, which Docker
   collects), ``syslog = no`` and ``pid =``, so the log reaches Docker and the
   mounted paths stay valid; ``debug = info`` unless the config sets its own level;
2. writes it into the run directory (mode 0600: it may hold ``protocolPassword``);
3. creates the container with host networking, the run directory mounted
   read-only at the *same* path (so the config's absolute paths work unchanged),
   and the labels ``fixs-harness=1`` and ``fixs-harness.run=<run id>``, and
   registers it in the manager's clean-up registry;
4. waits with the manager's one readiness wait (every ``bound to`` line and its
   port; an early exit or ``Configuration failed`` fails at once with stunnel's own
   error lines and its log; otherwise a timeout);
5. on :meth:`stop` (also ``__exit__``, a failed start, an interpreter exit, or
   :func:`stop_all` from a stop signal) sends SIGTERM, keeps the final log, and
   force-removes the container. A Ctrl-C that lands inside the removal retries it
   before re-raising, so an interrupted run still leaves nothing behind.

If the process is killed outright (SIGKILL), labels let ``fixs-harness images
prune`` find the leftovers.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from harness import signals
from harness.backends.base import describe_exit, stopped_state, write_private
from harness.backends.docker_images import LABEL_HARNESS, LABEL_RUN, connect
from harness.backends.stunnel_process import (
    REGISTRY,
    Observation,
    StunnelRun,
    StunnelStartError,
    prepare,
    stop_all,
    wait_ready,
)
from harness.errors import HarnessError
from harness.stunnelconf import StunnelConfig, parse_config

if TYPE_CHECKING:
    from docker.client import DockerClient

__all__ = ["ContainerSpec", "StunnelContainer", "StunnelStartError", "stop_all"]


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:60] or "x"


@dataclass(frozen=True)
class ContainerSpec:
    """What identifies a launched container (for reports and cleanup)."""

    container_name: str
    container_id: str
    image: str
    config_path: Path


class StunnelContainer(StunnelRun):
    """A real stunnel in a container; a context manager that always removes it.

    Example::

        with StunnelContainer(image_tag("bookworm"), conf, run_dir,
                              run_id=run_id, name="server") as tunnel:
            host, port = tunnel.bound["FIX-server"]
            ...
        print(tunnel.logs())     # the final log survives the container

    Args:
        image: image tag or id, e.g. ``fixs-harness/stunnel:bullseye``.
        config: the stunnel.conf (a :class:`StunnelConfig`, or text parsed as one);
            file paths in it must be absolute paths inside ``run_dir`` (mounted
            read-only at the same path).
        run_dir: absolute host directory holding certificates, keys, PSK files.
        run_id: the run's id, put in the ``fixs-harness.run`` label.
        name: this tunnel's name within the run (e.g. ``server``, ``client``).
        client: a Docker client (default: :func:`connect`).
        ready_timeout: seconds to wait for every ``bound to`` line.
    """

    def __init__(
        self,
        image: str,
        config: StunnelConfig | str,
        run_dir: Path,
        *,
        run_id: str,
        name: str,
        client: DockerClient | None = None,
        ready_timeout: float = 20.0,
    ) -> None:
        self.image = image
        self.config = (
            parse_config(config, path=f"<stunnel [{name}]>") if isinstance(config, str) else config
        )
        self.run_dir = Path(run_dir)
        self.run_id = run_id
        self.name = name
        self.ready_timeout = ready_timeout
        self.container_name = f"fixs-{_safe_name(run_id)}-{_safe_name(name)}-{uuid.uuid4().hex[:6]}"
        self.config_path = self.run_dir / f"{_safe_name(name)}.stunnel.conf"
        self._client = client
        self._container: Any = None
        self._bound: dict[str, list[tuple[str, int]]] = {}
        self._final_log: str | None = None
        self._started = False

    # -- public API -----------------------------------------------------------------

    @property
    def bound(self) -> Mapping[str, tuple[str, int]]:
        """Service name → (host, port) it listens on, known once started."""
        return {service: addrs[0] for service, addrs in self._bound.items()}

    @property
    def running(self) -> bool:
        return self._container is not None

    @property
    def pid(self) -> int | None:
        """stunnel's process id as the host sees it (for live-socket checks)."""
        container = self._container
        if container is None:
            return None
        try:
            container.reload()
            pid = int(container.attrs.get("State", {}).get("Pid") or 0)
        except Exception:  # the container vanished
            return None
        return pid or None

    def health(self) -> str | None:
        """None while the container runs and stunnel is not stopped; else what
        happened (``container exited with status 137 (SIGKILL)``, ``paused``)."""
        container = self._container
        if container is None:
            return None
        try:
            container.reload()
        except Exception as exc:  # removed under us, or the engine went away
            return f"container vanished ({type(exc).__name__})"
        state = container.attrs.get("State", {})
        if state.get("Paused"):
            return "container paused: not answering"
        if not state.get("Running", False):
            code = state.get("ExitCode")
            return "container " + (
                describe_exit(int(code)) if isinstance(code, int) else f"is {state.get('Status')}"
            )
        return stopped_state(int(state.get("Pid") or 0) or None)

    def start(self) -> StunnelContainer:
        """Create, start and wait for readiness; on any failure nothing is left.

        Raises:
            StunnelStartError: stunnel exited early, rejected its config or timed out.
            HarnessError: bad input (non-loopback accept, run dir) or no engine.
        """
        if self._started:
            raise HarnessError(f"stunnel [{self.name}] already started")
        self._started = True
        if not self.run_dir.is_absolute() or not self.run_dir.is_dir():
            raise HarnessError(f"run directory {self.run_dir} must be an existing absolute path")
        prepared = prepare(self.config)
        write_private(self.config_path, prepared.text)
        if self._client is None:
            self._client = connect()
        try:
            self._create()
            self._container.start()
            self._wait_ready(prepared.services)
        except BaseException:
            # testcontainers' rule: clean up before the error propagates.
            self.stop()
            raise
        return self

    def logs(self) -> str:
        """stunnel's log so far (after :meth:`stop`: the final log)."""
        if self._final_log is not None:
            return self._final_log
        container = self._container
        if container is None:
            return ""
        try:
            return str(container.logs(stdout=True, stderr=True).decode("utf-8", "replace"))
        except Exception:  # the container vanished: nothing more to read
            return ""

    def stop(self) -> str:
        """Stop and remove the container (idempotent); returns the final log."""
        container = self._container
        if container is None:
            return self._final_log or ""
        with contextlib.suppress(Exception):
            # SIGTERM lets stunnel log its farewell; the final log is kept for reports.
            container.kill(signal="SIGTERM")
            container.wait(timeout=5)
        with contextlib.suppress(Exception):
            self._final_log = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        interrupted: BaseException | None = None
        for _attempt in range(3):
            try:
                self._remove(container)
                break
            except KeyboardInterrupt as exc:  # a second Ctrl-C: finish cleaning first
                interrupted = exc
        self._container = None
        REGISTRY.discard(self)
        if interrupted is not None:
            raise interrupted
        return self._final_log or ""

    @property
    def spec(self) -> ContainerSpec:
        container_id = str(self._container.id) if self._container is not None else ""
        return ContainerSpec(self.container_name, container_id, self.image, self.config_path)

    def __enter__(self) -> StunnelContainer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ------------------------------------------------------------------

    def _create(self) -> None:
        from docker.errors import ImageNotFound

        assert self._client is not None
        # created and registered in one section a stop signal does not cut
        # (signals.deferred): a KeyboardInterrupt inside the API call, after the
        # daemon made the container, would leave it unregistered
        with signals.deferred():
            try:
                self._container = self._client.containers.create(
                    self.image,
                    command=["stunnel", str(self.config_path)],
                    name=self.container_name,
                    labels={LABEL_HARNESS: "1", LABEL_RUN: self.run_id},
                    network_mode="host",
                    volumes={str(self.run_dir): {"bind": str(self.run_dir), "mode": "ro"}},
                    detach=True,
                )
            except ImageNotFound as exc:
                raise HarnessError(
                    f"image {self.image} not found; build it with `fixs-harness images build`"
                ) from exc
            REGISTRY.add(self)

    def _wait_ready(self, services: tuple[str, ...]) -> None:
        self._bound = wait_ready(self, services, self.ready_timeout)

    def observe(self) -> Observation:
        """The container's log so far and whether it has ended (with its status)."""
        container = self._container
        if container is None:
            return Observation(self.logs(), ended=True)
        try:
            container.reload()
        except Exception:  # removed under us, or the engine went away
            return Observation(self.logs(), ended=True)
        log = self.logs()
        if container.status not in ("exited", "dead"):
            return Observation(log)
        code = container.attrs.get("State", {}).get("ExitCode")
        return Observation(log, ended=True, exit_code=code if isinstance(code, int) else None)

    def wait_exit(self, timeout: float) -> None:
        with contextlib.suppress(Exception):
            self._container.wait(timeout=timeout)

    @staticmethod
    def _remove(container: Any) -> None:
        from docker.errors import APIError, NotFound

        try:
            container.remove(force=True)
        except NotFound:
            return
        except APIError as exc:
            if "already in progress" in str(exc):
                return
            raise
