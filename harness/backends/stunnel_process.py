"""One way to run a real stunnel, whether on the host or in a container.

Theory of operation
-------------------
Both stunnel backends (``stunnel-local``: the host's binary; ``stunnel-docker``:
a Debian suite's stunnel in a container) start stunnel the same way, differing only
in *where* the process runs. This module holds everything that is the same:

1. **The config** (:func:`prepare`): a :class:`StunnelConfig` is checked to listen on
   loopback only (every ``accept`` names a loopback address: the charter's rule, and
   the container uses host networking) and handed to
   :func:`harness.stunnelconf.rewrite.own_process`, the one place that lists the
   global options the runner owns (foreground, log destination, pid file, process
   identity). What it removed is returned as notes.
2. **Readiness** (:func:`judge_start`, pure; :func:`wait_ready`, the poll): stunnel is
   ready when every service with ``accept`` has logged ``Service [NAME] (FD=N) bound
   to HOST:PORT`` *and* that port is held (a bind to it is refused: the probe opens
   no connection, so it adds no line to the log the checks read). With
   ``accept = 127.0.0.1:0`` the port is only known from the log line. A stunnel that
   exits first, or logs ``Configuration failed``, fails at once with its own error
   lines; otherwise the wait ends at a timeout.
3. **The start error** (:class:`StunnelStartError`): one type and one message for both
   backends, ``stunnel [NAME] SUMMARY: stunnel's error lines``, carrying the whole
   log, the exit status and the error lines.
4. **Clean-up** (:data:`REGISTRY`): every process and container is registered the
   moment it exists and leaves the registry when stopped; the registry stops what is
   left at interpreter exit (``atexit``) and on the first stop signal
   (:func:`harness.signals.register_aborter`). A failed start stops what it started
   before the error propagates.

The error lines are read by the one log parser (:mod:`harness.stunnelconf.logfacts`):
``[!] ...`` on stderr before the log is set up, ``LOG3[ui]: ...`` after.
"""

from __future__ import annotations

import abc
import atexit
import re
import socket
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from harness import signals
from harness.backends.base import Registry, TunnelStartError, describe_exit
from harness.errors import HarnessError
from harness.stunnelconf import StunnelConfig
from harness.stunnelconf.logfacts import parse_log
from harness.stunnelconf.rewrite import own_process

#: stunnel's summary line after a start-up error (5.68+; 5.56 stops at the error).
FAILED_MARK = "Configuration failed"
#: Logged once the config is read; readiness of a config without ``accept``.
SUCCESS_MARK = "Configuration successful"

Address = tuple[str, int]


class StunnelStartError(TunnelStartError):
    """stunnel did not come up: exited early, rejected its config, or timed out.

    Attributes:
        name: the tunnel's name (the backend's label, the launcher's name).
        log: stunnel's whole log (its own words).
        exit_code: the exit status, ``None`` when it was still running.
        errors: stunnel's error lines (``[!] ...``, ``LOG3[ui]: ...``), in order.
    """

    def __init__(
        self, name: str, summary: str, log: str, exit_code: int | None, errors: Sequence[str]
    ) -> None:
        self.name = name
        self.exit_code = exit_code
        self.errors = tuple(errors)
        shown = "; ".join(self.errors) if self.errors else "no error line in the log"
        step = last_step(log) if self.errors else None
        context = f" (last step: {step})" if step else ""
        super().__init__(f"stunnel [{name}] {summary}: {shown}{context}", log)

    def tail(self, lines: int = 25) -> str:
        """The last ``lines`` lines of the log (what to show under the message)."""
        return "\n".join(self.log.strip().splitlines()[-lines:])


#: A start-up log line: ``[x] TEXT`` on stderr, ``[date] LOGn[ident]: TEXT`` after.
_STEP_RE = re.compile(
    r"^(?:\[(?P<mark>[ .!])\]\s*|(?:\S+ \S+ )?LOG(?P<level>\d)\[[^\]]+\]: )(?P<text>.+)$"
)


def last_step(log: str) -> str | None:
    """What stunnel was doing when its first error came: the line before it.

    stunnel's error lines name the OpenSSL failure, not the file (``system
    library::No such file or directory``); the debug line before them does
    (``Loading certificate from file: /run/x/server.pem``).
    """
    previous: str | None = None
    for raw in log.splitlines():
        m = _STEP_RE.match(raw.strip())
        if m is None:
            continue
        error = m.group("mark") == "!" or (
            m.group("level") is not None and int(m.group("level")) <= 3
        )
        if error:
            return previous
        previous = m.group("text").strip()
    return None


# -- the config ---------------------------------------------------------------------


def _is_loopback_host(host: str) -> bool:
    host = host.strip("[]")
    return host.startswith("127.") or host in ("::1", "localhost")


def accept_services(config: StunnelConfig) -> dict[str, str]:
    """Services that listen (have ``accept``), mapped to their ``accept`` value."""
    out: dict[str, str] = {}
    for service in config.services:
        accept = service.value("accept")
        if service.name is not None and accept is not None:
            out[service.name] = accept
    return out


def check_loopback(config: StunnelConfig) -> None:
    """Refuse a config whose ``accept`` would listen beyond loopback.

    Raises:
        HarnessError: naming the file, line, service and the offending value.
    """
    for service in config.services:
        opt = service.get("accept")
        if opt is None:
            continue
        host, sep, _port = opt.value.rpartition(":")
        if not sep or not _is_loopback_host(host):
            raise HarnessError(
                f"{opt.location}: service [{service.name}]: accept = {opt.value} would "
                "listen beyond loopback; the harness listens on loopback only (and "
                "stunnel-docker uses host networking), so accept must name a loopback "
                "address (e.g. 127.0.0.1:0)"
            )


@dataclass(frozen=True)
class Prepared:
    """A config ready to run: the text stunnel reads, the services to wait for, and
    what the runner took over (``file:line: removed 'pid = ...'``)."""

    config: StunnelConfig
    services: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def text(self) -> str:
        return self.config.render()


def prepare(config: StunnelConfig) -> Prepared:
    """Check ``config`` listens on loopback and give the runner its process globals.

    Raises:
        HarnessError: an ``accept`` beyond loopback.
    """
    check_loopback(config)
    owned = own_process(config)
    return Prepared(owned.config, tuple(accept_services(config)), owned.notes)


# -- readiness ----------------------------------------------------------------------


@dataclass(frozen=True)
class Observation:
    """What a stunnel looks like at one moment: its log so far and whether it ended."""

    log: str
    ended: bool = False
    exit_code: int | None = None


@dataclass(frozen=True)
class Ready:
    """Every listening service is bound and its port held."""

    bound: dict[str, list[Address]]


@dataclass(frozen=True)
class Failed:
    """stunnel exited or refused its config; ``errors`` are its own lines."""

    summary: str
    errors: tuple[str, ...]


@dataclass(frozen=True)
class Waiting:
    """Not yet: ``missing`` names what is awaited (for the timeout message)."""

    missing: tuple[str, ...]


def port_held(address: Address) -> bool:
    """Whether some socket holds ``address`` (our bind to it is refused).

    A bind opens no connection, so stunnel logs nothing. Only a successful bind
    says "free"; an address this machine cannot bind at all (no IPv6) cannot be
    judged here and counts as held (the log line stands alone).
    """
    host, port = address
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            # EADDRINUSE: held; anything else (no IPv6 here, ...): cannot tell
            return True
    return False


def judge_start(
    obs: Observation,
    services: Collection[str],
    held: Callable[[Address], bool] = port_held,
) -> Ready | Failed | Waiting:
    """Decide from one observation whether stunnel is up, failed, or not yet.

    An ended process or a ``Configuration failed`` line is a failure even if some
    service was bound; readiness needs every service's ``bound to`` line and its port
    held (a config without services: ``Configuration successful``).
    """
    facts = parse_log(obs.log)
    if obs.ended or facts.configuration_failed:
        if obs.exit_code is not None:
            how = describe_exit(obs.exit_code)
        else:  # ended with no status (a container removed under us), or still running
            how = "exit status unknown" if obs.ended else "still running"
        summary = "exited during start-up" if obs.ended else "refused its config"
        return Failed(f"{summary} ({how})", tuple(facts.startup_errors))
    bound = facts.bound_addresses()
    if not services:
        return Ready(bound) if SUCCESS_MARK in obs.log else Waiting(("start-up",))
    missing: list[str] = []
    for service in services:
        addrs = bound.get(service)
        if not addrs:
            missing.append(service)
        elif not held(addrs[0]):
            missing.append(f"{service} (its port {addrs[0][0]}:{addrs[0][1]} is free)")
    return Waiting(tuple(missing)) if missing else Ready(bound)


class StunnelRun(abc.ABC):
    """One stunnel that was started (a host process or a container)."""

    #: The tunnel's name, in error messages.
    name: str

    @abc.abstractmethod
    def observe(self) -> Observation:
        """Its log so far and whether it has ended (never raises)."""

    @abc.abstractmethod
    def wait_exit(self, timeout: float) -> None:
        """Wait (bounded) for a stunnel that announced its failure to exit."""

    @abc.abstractmethod
    def stop(self) -> object:
        """Stop it and forget it (idempotent; leaves :data:`REGISTRY`)."""


def wait_ready(
    run: StunnelRun,
    services: Collection[str],
    timeout: float,
    held: Callable[[Address], bool] = port_held,
) -> dict[str, list[Address]]:
    """Poll ``run`` until :func:`judge_start` says ready; raise when it fails.

    A ``Configuration failed`` line while the process still runs waits up to 5 s for
    its exit, so the error carries the exit status.

    Raises:
        StunnelStartError: stunnel failed, or was not ready within ``timeout``.
        harness.signals.Interrupted: a stop signal arrived before it was ready.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        obs = run.observe()
        verdict = judge_start(obs, services, held)
        if isinstance(verdict, Ready):
            return verdict.bound
        if signals.STOPPING.is_set():
            # the clean-up of a stop signal is stopping this stunnel: an interruption,
            # not a start failure of the config
            signals.check_stopping()
        if isinstance(verdict, Failed):
            if not obs.ended:
                run.wait_exit(5.0)
                later = run.observe()
                if later.ended:
                    obs = later
                    verdict = judge_start(obs, services, held)
                    assert isinstance(verdict, Failed)
            raise StunnelStartError(
                run.name, verdict.summary, obs.log, obs.exit_code, verdict.errors
            )
        if time.monotonic() > deadline:
            waiting = ", ".join(verdict.missing)
            errors = parse_log(obs.log).startup_errors
            raise StunnelStartError(
                run.name,
                f"not ready after {timeout:g} s (waiting for: {waiting})",
                obs.log,
                None,
                errors,
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


# -- clean-up -----------------------------------------------------------------------


#: The stunnel processes and containers this interpreter started.
REGISTRY = Registry()
atexit.register(REGISTRY.stop_all)
signals.register_aborter(REGISTRY.stop_all)


def stop_all() -> None:
    """Stop every stunnel process and container this process started and has not
    stopped yet (registered with ``atexit`` and the stop signals)."""
    REGISTRY.stop_all()
