"""Run one real stunnel in a Docker container, and never leak it.

Theory of operation
-------------------
:class:`StunnelContainer` is the launcher of the ``stunnel-docker`` backend. Given
an image (``fixs-harness/stunnel:SUITE``), a stunnel.conf text whose paths point
into a *run directory* on the host, a run id and a name, it:

1. checks that every ``accept`` listens on loopback (a bare ``accept = 7777`` would
   listen on every interface of the host: the container uses host networking);
2. writes the config into the run directory (mode 0600: it may hold
   ``protocolPassword``) with a container preamble: ``foreground = yes`` (log to
   stderr, which Docker collects), no pid file, ``debug = info`` unless the config
   sets its own level; the global options that would send the log elsewhere or
   move the process (``output``, ``pid``, ``syslog``, ``foreground``, ``chroot``,
   ``setuid``, ``setgid``) are commented out, so the log reaches Docker and the
   mounted paths stay valid;
3. creates the container with host networking, the run directory mounted
   read-only at the *same* path (so the config's absolute paths work unchanged),
   and the labels ``fixs-harness=1`` and ``fixs-harness.run=<run id>``;
4. polls the container's log until every service with ``accept`` has logged
   ``Service [NAME] (FD=N) bound to HOST:PORT`` (the readiness signal; with
   ``accept = 127.0.0.1:0`` the port is only known from this line). A container
   that exits first, or logs ``Configuration failed``, fails at once with stunnel's
   own error lines and its log attached; otherwise the wait ends at a timeout;
5. on :meth:`stop` (also ``__exit__``, a failed start, an interpreter exit, or
   :func:`stop_all` from a SIGINT handler) sends SIGTERM, keeps the final log,
   and force-removes the container. A Ctrl-C that lands inside the removal retries
   it before re-raising, so an interrupted run still leaves nothing behind.

If the process is killed outright (SIGKILL), labels let ``fixs-harness images
prune`` find the leftovers.

Log parsing here is limited to what the launcher needs (readiness and start-up
errors); the negotiated-parameter lines are parsed by the tunnel log layer.
"""

from __future__ import annotations

import atexit
import contextlib
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from harness import signals
from harness.backends.base import describe_exit, stopped_state, write_private
from harness.backends.docker_images import LABEL_HARNESS, LABEL_RUN, connect
from harness.errors import HarnessError
from harness.stunnelconf.logfacts import parse_log

if TYPE_CHECKING:
    from docker.client import DockerClient

#: ``Service [NAME] (FD=N) bound to HOST:PORT`` (stunnel 5.x, every version built here).
#: stunnel's start-up error lines: ``[!] ...`` on stderr, ``LOG3[ui]: ...`` in the log.
_ERROR_RE = re.compile(r"^(?:\[!\]\s*(?P<a>.+)|.*LOG[0-3]\[ui\]: (?P<b>.+))$", re.M)
_FAILED_MARK = "Configuration failed"

#: Global options the container preamble owns (see the module docstring).
CONTAINER_OWNED_GLOBALS: frozenset[str] = frozenset(
    {"output", "pid", "syslog", "foreground", "chroot", "setuid", "setgid"}
)


class StunnelStartError(HarnessError):
    """stunnel did not come up: exited early, rejected its config, or timed out.

    Attributes:
        name: the launcher's name for the tunnel.
        log: the container's whole log (stunnel's own words).
        exit_code: the container's exit status, ``None`` when it was still running.
        errors: stunnel's error lines (``[!] ...``), the part worth showing first.
    """

    def __init__(
        self, name: str, summary: str, log: str, exit_code: int | None, errors: Sequence[str]
    ) -> None:
        self.name = name
        self.log = log
        self.exit_code = exit_code
        self.errors = tuple(errors)
        tail = "\n".join(log.strip().splitlines()[-25:])
        shown = "; ".join(self.errors) if self.errors else "no error line in the log"
        super().__init__(f"stunnel [{name}] {summary}: {shown}\n--- stunnel log (tail) ---\n{tail}")


def parse_bound(log: str) -> dict[str, tuple[str, int]]:
    """Map each service to the address it bound, from ``bound to`` log lines.

    ``Service [srv] (FD=8) bound to 127.0.0.1:46791`` → ``{"srv": ("127.0.0.1", 46791)}``;
    an IPv6 address (``::1:7000`` or ``[::1]:7000``) keeps its colons.
    """
    return {svc: addrs[0] for svc, addrs in parse_log(log).bound_addresses().items()}


def error_lines(log: str) -> list[str]:
    """stunnel's start-up error lines, in order, without prefixes."""
    return [(m.group("a") or m.group("b")).strip() for m in _ERROR_RE.finditer(log)]


_SECTION_RE = re.compile(r"^\s*\[(?P<name>[^\]]+)\]\s*$")
_OPTION_RE = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)\s*$")


def _is_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith((";", "#"))


def accept_services(config_text: str) -> dict[str, str]:
    """Services that listen (have ``accept``), mapped to their ``accept`` value.

    Only as much parsing as readiness needs; the full model is ``harness.stunnelconf``.
    """
    services: dict[str, str] = {}
    section: str | None = None
    for line in config_text.splitlines():
        if _is_comment(line):
            continue
        header = _SECTION_RE.match(line)
        if header:
            section = header.group("name").strip()
            continue
        option = _OPTION_RE.match(line)
        if option and section is not None and option.group("key").lower() == "accept":
            services[section] = option.group("value")
    return services


def _is_loopback_host(host: str) -> bool:
    host = host.strip("[]")
    return host.startswith("127.") or host in ("::1", "localhost")


def check_loopback(config_text: str) -> None:
    """Refuse a config whose ``accept`` would listen beyond loopback.

    Raises:
        HarnessError: naming the service and the offending value.
    """
    for service, value in accept_services(config_text).items():
        host, sep, _port = value.rpartition(":")
        if not sep or not _is_loopback_host(host):
            raise HarnessError(
                f"service [{service}]: accept = {value} would listen beyond loopback; "
                "the stunnel-docker backend uses host networking, so accept must name "
                "a loopback address (e.g. 127.0.0.1:0)"
            )


def container_config(config_text: str) -> str:
    """The config as the container runs it: preamble + owned globals commented out."""
    out = [
        "; fixs-harness stunnel-docker preamble: stay in the foreground and log to",
        "; stderr (collected by Docker); no pid file; info level for negotiated lines.",
        "foreground = yes",
        "pid =",
        "debug = info",
        "",
    ]
    in_globals = True
    for line in config_text.splitlines():
        if _SECTION_RE.match(line) and not _is_comment(line):
            in_globals = False
        option = _OPTION_RE.match(line)
        if (
            in_globals
            and option
            and not _is_comment(line)
            and option.group("key").lower() in CONTAINER_OWNED_GLOBALS
        ):
            out.append(f"; (set by the container preamble) {line.strip()}")
            continue
        out.append(line)
    return "\n".join(out) + "\n"


_LIVE: dict[int, StunnelContainer] = {}


def stop_all() -> None:
    """Stop every container this process started and has not stopped yet.

    Safe to call from a SIGINT handler or ``atexit``; registered with ``atexit``.
    """
    for launcher in list(_LIVE.values()):
        launcher.stop()


atexit.register(stop_all)
signals.register_aborter(stop_all)


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:60] or "x"


@dataclass(frozen=True)
class ContainerSpec:
    """What identifies a launched container (for reports and cleanup)."""

    container_name: str
    container_id: str
    image: str
    config_path: Path


class StunnelContainer:
    """A real stunnel in a container; a context manager that always removes it.

    Example::

        with StunnelContainer(image_tag("bookworm"), conf, run_dir,
                              run_id=run_id, name="server") as tunnel:
            host, port = tunnel.bound["FIX-server"]
            ...
        print(tunnel.logs())     # the final log survives the container

    Args:
        image: image tag or id, e.g. ``fixs-harness/stunnel:bullseye``.
        config_text: stunnel.conf text; file paths in it must be absolute paths
            inside ``run_dir`` (mounted read-only at the same path).
        run_dir: absolute host directory holding certificates, keys, PSK files.
        run_id: the run's id, put in the ``fixs-harness.run`` label.
        name: this tunnel's name within the run (e.g. ``server``, ``client``).
        client: a Docker client (default: :func:`connect`).
        ready_timeout: seconds to wait for every ``bound to`` line.
    """

    def __init__(
        self,
        image: str,
        config_text: str,
        run_dir: Path,
        *,
        run_id: str,
        name: str,
        client: DockerClient | None = None,
        ready_timeout: float = 20.0,
    ) -> None:
        self.image = image
        self.config_text = config_text
        self.run_dir = Path(run_dir)
        self.run_id = run_id
        self.name = name
        self.ready_timeout = ready_timeout
        self.container_name = f"fixs-{_safe_name(run_id)}-{_safe_name(name)}-{uuid.uuid4().hex[:6]}"
        self.config_path = self.run_dir / f"{_safe_name(name)}.stunnel.conf"
        self._client = client
        self._container: Any = None
        self._bound: dict[str, tuple[str, int]] = {}
        self._final_log: str | None = None
        self._started = False

    # -- public API -----------------------------------------------------------------

    @property
    def bound(self) -> Mapping[str, tuple[str, int]]:
        """Service name → (host, port) it listens on, known once started."""
        return dict(self._bound)

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
        check_loopback(self.config_text)
        expected = set(accept_services(self.config_text))
        write_private(self.config_path, container_config(self.config_text))
        if self._client is None:
            self._client = connect()
        try:
            self._create()
            self._container.start()
            self._wait_ready(expected)
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
        _LIVE.pop(id(self), None)
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
        _LIVE[id(self)] = self

    def _wait_ready(self, expected: set[str]) -> None:
        deadline = time.monotonic() + self.ready_timeout
        delay = 0.02
        while True:
            self._container.reload()
            status = self._container.status
            log = self.logs()
            self._bound = parse_bound(log)
            if expected and expected <= self._bound.keys():
                return
            if not expected and "Configuration successful" in log:
                return
            if status in ("exited", "dead") or _FAILED_MARK in log:
                if status not in ("exited", "dead"):
                    # stunnel is about to exit: its status completes the error report.
                    with contextlib.suppress(Exception):
                        self._container.wait(timeout=5)
                        self._container.reload()
                        status = self._container.status
                        log = self.logs()
                code = self._exit_code() if status in ("exited", "dead") else None
                summary = "exited during start-up" + (f" (exit {code})" if code is not None else "")
                raise StunnelStartError(self.name, summary, log, code, error_lines(log))
            if time.monotonic() > deadline:
                missing = ", ".join(sorted(expected - self._bound.keys())) or "start-up"
                raise StunnelStartError(
                    self.name,
                    f"not ready after {self.ready_timeout:g} s (waiting for: {missing})",
                    log,
                    None,
                    error_lines(log),
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def _exit_code(self) -> int | None:
        state = self._container.attrs.get("State", {})
        code = state.get("ExitCode")
        return int(code) if isinstance(code, int) else None

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
