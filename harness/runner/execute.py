"""Running one scenario on one backend pair, end to end, and observing it.

Theory of operation (one scenario × pair)::

    placeholders → stunnel texts → parse (file:line into the scenario)
    mock FIX acceptor (thread) ◄─ server tunnel ◄─ capture (tap/sniff) ◄─ client tunnel ◄─ mock FIX initiator
    conversation → live-socket probe → stop client → capture finished → stop server → stop acceptor
    pcap → Handshake;  tunnel logs → LogFacts;  conversation → FIX outcome

Every process, thread and socket is owned by an ExitStack, so each is stopped on every
path (failure, timeout, Ctrl-C, SIGTERM/SIGHUP: :mod:`harness.signals`). While the
FIX conversation runs, a :class:`~harness.runner.watch.TunnelWatch` watches both
tunnels; a tunnel that dies or stops answering ends the item as a named fault
(:class:`~harness.runner.watch.TunnelFaultError`), not as a verdict. Addresses in the scenario's stunnel text are
rewritten to loopback: ``accept`` to an ephemeral port, ``connect`` to the next hop,
and a ``checkIP`` naming the peer the guide connects to (e.g. 192.168.153.32) to the
loopback address standing for that peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from harness import signals
from harness.backends.base import Tunnel, TunnelBackend, TunnelStartError
from harness.capture import CaptureMethod, CaptureResult, open_capture
from harness.checks.observation import (
    FixOutcome,
    LoggedConnection,
    Observation,
    ProxyFacts,
    ProxyRequest,
    SocketKind,
    SocketReading,
    TunnelSide,
)
from harness.dissect import Handshake
from harness.errors import HarnessError, LocatedError
from harness.fix.settings import Credentials as FixCredentials
from harness.fixnet import (
    ConversationResult,
    SessionSettings,
    default_script,
    parse_script,
    run_acceptor_in_thread,
    run_initiator,
)
from harness.pki import TestPKI
from harness.runner.pairs import BackendPair, make_backend
from harness.runner.sockets import LiveSocket, live_sockets, tcp_nodelay
from harness.runner.watch import TunnelFault, TunnelFaultError, TunnelWatch
from harness.scenario import Scenario
from harness.scenario.fixtures import pki_placeholder_values
from harness.scenario.model import Credentials, EmbeddedConf
from harness.scenario.placeholders import resolve_placeholders
from harness.stunnelconf import ServiceSettings, StunnelConfig, parse_config, resolve
from harness.stunnelconf.logfacts import ConnectionFacts, LogFacts
from harness.stunnelconf.paths import absolutize_paths, select_section
from harness.stunnelconf.rewrite import Rewrite, rewrite
from harness.stunnelconf.semantics import parse_psk_secrets
from harness.testing.connect_proxy import ConnectProxy


@dataclass
class ScenarioRun:
    """What the runner records while a scenario runs (mutable, its own).

    :meth:`observation` distils it into the frozen
    :class:`~harness.checks.observation.Observation` the checks read; the rest
    (settings, capture, transcript, artifacts, notes) is for the runner and reports.
    """

    pair: BackendPair
    client_settings: ServiceSettings | None = None
    server_settings: ServiceSettings | None = None
    capture: CaptureResult | None = None
    handshake: Handshake | None = None
    handshake_missing: str | None = None
    extra_handshakes: int = 0
    client_log: LogFacts = field(default_factory=LogFacts)
    server_log: LogFacts = field(default_factory=LogFacts)
    conversation: ConversationResult | None = None
    acceptor_refusals: list[str] = field(default_factory=list)
    acceptor_orders: int = 0
    sockets: list[SocketReading] = field(default_factory=list)
    sockets_skipped: str | None = None
    artifacts: dict[str, Path] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    proxy_requests: list[ProxyRequest] = field(default_factory=list)
    proxy_expected_target: str | None = None

    def first_connection(self, side: str) -> ConnectionFacts | None:
        facts = self.client_log if side == "client" else self.server_log
        conns = [c for c in facts.connections.values() if c.service is not None]
        return conns[0] if conns else None

    def handshake_completed(self) -> bool:
        """The TLS handshake completed: both Finished seen, or (TLS 1.3 without a key
        log, where the capture cannot tell) a FIX session ran through it."""
        hs = self.handshake
        if hs is None or hs.negotiated is False:
            return False
        if hs.negotiated:
            return True
        return self.conversation is not None and self.conversation.logon_accepted

    def observation(self) -> Observation:
        """The frozen facts the checks judge."""
        conv = self.conversation
        fix = None
        if conv is not None:
            fix = FixOutcome(
                ok=conv.ok,
                logon_accepted=conv.logon_accepted,
                logout_text=conv.logout_text,
                failures=tuple(conv.failures),
                error=conv.error,
                execution_reports=sum(1 for m in conv.application_messages if m.get(35) == "8"),
            )
        proxy = None
        if self.proxy_expected_target is not None:
            proxy = ProxyFacts(self.proxy_expected_target, tuple(self.proxy_requests))
        return Observation(
            handshake=self.handshake,
            handshake_missing=self.handshake_missing,
            capture_gap=self.capture.lost if self.capture is not None else None,
            client_log=_logged(self.first_connection("client")),
            server_log=_logged(self.first_connection("server")),
            fix=fix,
            acceptor_orders=self.acceptor_orders,
            sockets=tuple(self.sockets),
            sockets_skipped=self.sockets_skipped,
            expected_psk_identity=_expected_psk_identity(self.client_settings),
            proxy=proxy,
        )


def _logged(conn: ConnectionFacts | None) -> LoggedConnection | None:
    if conn is None:
        return None
    return LoggedConnection(
        version=conn.version,
        cipher=conn.cipher,
        errors=tuple(conn.errors),
        decisive=tuple(conn.decisive),
    )


def _expected_psk_identity(svc: ServiceSettings | None) -> str | None:
    """The identity the client tunnel is configured to send (its PSKidentity, else
    the first entry of its PSKsecrets file)."""
    if svc is None or not svc.psk_secrets:
        return None
    if svc.psk_identity:
        return svc.psk_identity
    try:
        entries = parse_psk_secrets(Path(svc.psk_secrets).read_text(), path=svc.psk_secrets)
    except (OSError, HarnessError):
        return None
    return entries[0].identity if entries else None


@dataclass
class RunContext:
    """What every scenario of a run shares: the PKI, backends, settings."""

    artifacts_dir: Path
    pki: TestPKI
    capture: CaptureMethod = "auto"
    timeout: float = 10.0
    placeholders: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.placeholders:
            self.placeholders = pki_placeholder_values(self.pki)


def fix_credentials(creds: Credentials | None) -> FixCredentials | None:
    if creds is None:
        return None
    raw = creds.raw_data.encode() if creds.raw_data is not None else None
    return FixCredentials(username=creds.username, password=creds.password, raw_data=raw)


def _conf(text: EmbeddedConf, values: dict[str, str]) -> StunnelConfig:
    """Placeholders filled, parsed (errors at the file's line), the chosen section
    only, relative file paths made absolute against the text's base directory."""
    resolved = resolve_placeholders(text, values)
    config = parse_config(resolved, path=text.location.path, first_line=text.location.line)
    if text.section is not None:
        config = select_section(config, text.section, text.location)
    if text.base_dir is not None:
        config = absolutize_paths(config, text.base_dir)
    return config


def _single_service(config: StunnelConfig, where: EmbeddedConf, role: str) -> str:
    names = config.service_names
    if len(names) != 1:
        raise LocatedError(
            where.location, f"the {role} stunnel text must hold exactly one [service] section"
        )
    return names[0]


_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def _peer_ip_map(config: StunnelConfig, service: str) -> dict[str, str]:
    """checkIP values naming the host the client connects to (directly, or through a
    proxy as ``protocolHost``) stand for the server, which runs on 127.0.0.1 here."""
    section = config.service(service)
    out: dict[str, str] = {}
    for opt in (*section.get_all("connect"), *section.get_all("protocolHost")):
        host = opt.value.rpartition(":")[0]
        if _IPV4.match(host) and not host.startswith("127."):
            out[host] = "127.0.0.1"
    return out


_SocketKey = tuple[TunnelSide, SocketKind]


def _probe_nodelay(
    client: Tunnel,
    server: Tunnel,
    client_svc: ServiceSettings,
    server_svc: ServiceSettings,
    client_next_hop: tuple[str, int],
    acceptor_address: tuple[str, int],
    obs: ScenarioRun,
    stale: str | None = None,
) -> None:
    """Open one extra connection through both tunnels and read TCP_NODELAY off the
    four data-carrying sockets while it is up: each tunnel's accepted local socket
    (``l``) and its outgoing remote socket (``r``).

    Only sockets that did not exist before the probe connection was opened are read
    (a socket is its address pair: ephemeral ports are not reused while it lives),
    so a FIX connection that has not closed yet is never read in the probe's place.
    ``stale`` says why that matters this time (it is appended to each detail)."""
    if client.pid is None or server.pid is None:
        obs.sockets_skipped = "the backend does not expose its process"
        return
    client_addr, server_addr = client.address(), server.address()
    before = {
        (s.pid, s.local, s.remote)
        for pid in {client.pid, server.pid}
        for s in live_sockets(pid)
        if not s.listening
    }
    with socket.create_connection(client_addr, timeout=5) as probe:
        probe_port = probe.getsockname()[1]
        rules: dict[_SocketKey, tuple[int, Callable[[LiveSocket], bool]]] = {
            ("client", "l"): (
                client.pid,
                lambda s: s.local[1] == client_addr[1] and s.remote[1] == probe_port,
            ),
            ("client", "r"): (client.pid, lambda s: s.remote == client_next_hop),
            ("server", "l"): (server.pid, lambda s: s.local[1] == server_addr[1]),
            ("server", "r"): (server.pid, lambda s: s.remote == acceptor_address),
        }
        found: dict[_SocketKey, LiveSocket] = {}
        values: dict[_SocketKey, bool] = {}
        errors: dict[_SocketKey, str] = {}
        # bounded, and generous: on a loaded 2-core machine the probe's handshake
        # through two stunnel processes has been seen to take over 3 s (the wait ends
        # as soon as the chain is up)
        deadline = time.monotonic() + 10.0

        def candidates(key: _SocketKey) -> list[LiveSocket]:
            pid, match = rules[key]
            return [
                c
                for c in live_sockets(pid)
                if not c.listening and match(c) and (c.pid, c.local, c.remote) not in before
            ]

        # first wait until the whole chain is up (the server's socket to the acceptor
        # exists only once the client tunnel has set up its own sockets) ...
        while time.monotonic() < deadline and not all(candidates(k) for k in rules):
            time.sleep(0.05)
        # ... then read each option (those that are up, even if the chain never
        # completed); a socket of the FIX connection that is closing just now may
        # match too and vanish under us: try the others, then rescan
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and len(values) < len(rules):
            for key in rules:
                if key in values:
                    continue
                for candidate in candidates(key):
                    try:
                        values[key] = tcp_nodelay(candidate)
                        found[key] = candidate
                        break
                    except OSError as exc:
                        errors[key] = f"cannot read the socket: {exc.strerror}"
            if len(values) < len(rules):
                time.sleep(0.05)
        for key in rules:
            tunnel_name, kind = key
            svc = client_svc if tunnel_name == "client" else server_svc
            configured = svc.socket_option(kind, "TCP_NODELAY")
            sock = found.get(key)
            if key in values and sock is not None:
                detail = (
                    f"probe connection: pid {sock.pid} fd {sock.fd} {sock.local[0]}:{sock.local[1]}"
                    f" -> {sock.remote[0]}:{sock.remote[1]}"
                )
                if stale:
                    detail += f" ({stale})"
                obs.sockets.append(
                    SocketReading(tunnel_name, kind, configured, values[key], detail)
                )
            else:
                missing = errors.get(key, "the probe connection's socket was not found")
                if stale:
                    missing += f" ({stale})"
                obs.sockets.append(SocketReading(tunnel_name, kind, configured, None, missing))


def observe(
    scenario: Scenario,
    pair: BackendPair,
    ctx: RunContext,
    workdir: Path,
    private_dir: Path | None = None,
) -> ScenarioRun:
    """Run the scenario on ``pair`` and return what was seen.

    ``workdir`` gets what may be published (the pcap); ``private_dir`` (default
    ``workdir``) what may not: the tunnels' real configs and files, their logs before
    redaction, and the TLS key log (see :mod:`harness.runner.rundir`).

    Raises:
        TunnelFaultError: a tunnel died or stopped answering during the item (it
            carries the observation so far).
        LocatedError: the scenario's embedded text is wrong (file:line).
        TunnelStartError: a tunnel refused to start (with its log).
        HarnessError: a backend cannot run here.
    """
    obs = ScenarioRun(pair)
    workdir.mkdir(parents=True, exist_ok=True)
    tunnel_dir = private_dir or workdir
    values = dict(ctx.placeholders)
    if scenario.proxy is not None:
        values["proxy.username"] = scenario.proxy.username or ""
        values["proxy.password"] = scenario.proxy.password or ""
    server_cfg = _conf(scenario.server_conf, values)
    client_cfg = _conf(scenario.client_conf, values)
    server_svc = _single_service(server_cfg, scenario.server_conf, "server")
    client_svc = _single_service(client_cfg, scenario.client_conf, "client")
    script = (
        parse_script(scenario.fix.script.text, origin=scenario.fix.script.location)
        if scenario.fix.script is not None
        else default_script(orders=scenario.expect.messages or 3)
    )
    initiator = SessionSettings(
        sender_comp_id=scenario.fix.sender_comp_id,
        target_comp_id=scenario.fix.target_comp_id,
        begin_string=scenario.fix.version,
        heartbeat_interval=scenario.fix.heartbeat_s,
        credentials=fix_credentials(scenario.fix.credentials),
        reset_on_logon=True,
    )
    # None (the scenario lists no acceptor credentials) means the acceptor requires none.
    acceptor_settings = initiator.swapped(
        credentials=fix_credentials(scenario.fix.acceptor_credentials)
    )
    client_backend = make_backend(pair.client)
    server_backend = make_backend(pair.server)
    for backend in (client_backend, server_backend):
        avail = backend.check()
        if not avail.ok:
            raise HarnessError(f"backend {backend.name} cannot run here: {avail.reason}")

    faults: list[TunnelFault] = []
    with contextlib.ExitStack() as stack:
        signals.check_stopping()
        watch = stack.enter_context(TunnelWatch())
        acceptor = stack.enter_context(run_acceptor_in_thread(acceptor_settings))
        assert acceptor.address is not None
        server_run = rewrite(server_cfg, Rewrite(connect={server_svc: acceptor.address}))
        obs.notes.extend(server_run.notes)
        # one key log for the TLS leg: whichever Python tunnel takes part writes it,
        # the dissector reads it; it stays in the private directory, never beside the
        # pcap in a report (it would disclose the traffic)
        keylog = tunnel_dir / "tls.keylog"
        server = stack.enter_context(
            _started(server_backend, server_run.config, tunnel_dir, "server", keylog)
        )
        watch.watch("server", server)
        obs.artifacts["server-log"] = server.log_path
        obs.artifacts["server-conf"] = tunnel_dir / "server.conf"
        capture = stack.enter_context(
            open_capture(ctx.capture, server.address(), workdir, "tls", keylog_path=keylog)
        )
        assert capture.keylog_path == keylog
        target = capture.client_target
        next_hop = target
        peer_ips = _peer_ip_map(client_cfg, client_svc)
        proxy: ConnectProxy | None = None
        if scenario.proxy is not None:
            proxy = stack.enter_context(
                ConnectProxy(username=scenario.proxy.username, password=scenario.proxy.password)
            )
            next_hop = proxy.address
            # the proxy is the next hop; protocolHost names the TLS server behind it
            client_cfg = client_cfg.set_option(
                client_svc, "protocolHost", f"{target[0]}:{target[1]}"
            )
            obs.proxy_expected_target = f"{target[0]}:{target[1]}"
        client_rewrite = Rewrite(connect={client_svc: next_hop}, ips=peer_ips)
        client_run = rewrite(client_cfg, client_rewrite)
        obs.notes.extend(client_run.notes)
        obs.client_settings = resolve(client_run.config).service(client_svc)
        obs.server_settings = resolve(server_run.config).service(server_svc)
        client = stack.enter_context(
            _started(client_backend, client_run.config, tunnel_dir, "client", keylog)
        )
        watch.watch("client", client)
        obs.artifacts["client-log"] = client.log_path
        obs.artifacts["client-conf"] = tunnel_dir / "client.conf"
        host, port = client.address()
        obs.conversation = asyncio.run(
            run_initiator(initiator, script, host, port, timeout=ctx.timeout)
        )
        signals.check_stopping()
        faults = watch.check_now()
        if faults:
            obs.sockets_skipped = "a tunnel failed during the item: " + ", ".join(
                f"{f.tunnel} {f.what}" for f in faults
            )
        elif obs.conversation.logon_accepted:
            # let the FIX connection go first; the probe reads only the sockets that
            # are new with its own connection, and says so when the old one lingers
            lingering = [
                name
                for name, tunnel in (("client", client), ("server", server))
                if not tunnel.wait_connections_closed(2.0)
            ]
            stale = (
                f"the FIX connection through the {' and '.join(lingering)} tunnel had not "
                "closed after 2 s; only the probe connection's sockets were read"
                if lingering
                else None
            )
            try:
                _probe_nodelay(
                    client,
                    server,
                    obs.client_settings,
                    obs.server_settings,
                    next_hop,
                    acceptor.address,
                    obs,
                    stale,
                )
            except OSError as exc:
                obs.sockets_skipped = f"probe connection failed: {exc}"
        else:
            obs.sockets_skipped = "no FIX session was established to probe"
        faults = watch.close()  # from here on, the tunnels are stopped on purpose
        client.wait_connections_closed(2.0)
        client.stop()
        obs.capture = capture.finish()
        server.wait_connections_closed(2.0)
        server.stop()
        obs.client_log = client.facts()
        obs.server_log = server.facts()
        if proxy is not None:
            obs.proxy_requests = [
                ProxyRequest(r.status, r.method, r.target, r.username) for r in proxy.requests
            ]
    obs.acceptor_refusals = list(acceptor.refusals)
    obs.acceptor_orders = len(acceptor.orders)
    assert obs.capture is not None
    obs.artifacts["pcap"] = obs.capture.pcap_path
    if obs.capture.keylog_path:
        obs.artifacts["keylog"] = obs.capture.keylog_path
    try:
        handshakes = obs.capture.handshakes()
    except HarnessError as exc:
        obs.handshake_missing = f"the capture could not be read: {exc}"
    else:
        if not handshakes:
            obs.handshake_missing = "no TCP connection to the server tunnel was captured"
        else:
            obs.handshake = handshakes[0]
            obs.extra_handshakes = len(handshakes) - 1
    if faults:
        raise TunnelFaultError(faults, obs)
    return obs


@contextlib.contextmanager
def _started(
    backend: TunnelBackend, config: StunnelConfig, workdir: Path, label: str, keylog: Path
) -> Iterator[Tunnel]:
    tunnel = backend.start(config, workdir, label=label, keylog=keylog)
    try:
        yield tunnel
    finally:
        tunnel.stop()


__all__ = [
    "RunContext",
    "ScenarioRun",
    "TunnelFaultError",
    "TunnelStartError",
    "observe",
]
