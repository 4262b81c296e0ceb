"""Rehearsing go-live with the user's own stunnel.conf files.

Theory of operation. A rehearsal is a scenario built in memory from files on disk,
run by the same machinery as ``fixs-harness run`` (runner, capture, checks,
reports), in one of two forms:

* **both sides from files** (``--client mine.conf --server theirs.conf``): the two
  sections become the scenario's tunnels (relative paths inside each file resolve
  against that file's directory), the FIX session comes from flags or a
  QuickFIX-style settings file, and the run goes on any backend pairs, exactly as a
  scenario file would; the loopback rewrite applies as for any scenario;
* **our side against the counterparty's endpoint** (``--client mine.conf --connect
  HOST:PORT``): only our client tunnel runs (python or a stunnel backend); its
  ``connect`` goes to a capture relay that forwards to the endpoint as given (no
  rewriting of the endpoint), a FIX initiator logs on through it and logs out (no
  orders: this is someone else's system), and the TLS checks read the wire. What
  belongs to the counterparty (its tunnel's log, its sockets) is *not applicable*,
  not inconclusive and not a pass.

The expectations are what a go-live needs: the handshake completes with a suite of
the profile, authentication is what the configs say (PSK when the client has
``PSKsecrets``, mutual certificates when the server requires a client certificate,
FIX credentials otherwise), the FIX Logon is accepted and, with both sides ours,
orders round-trip.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import stat
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from harness.checks.model import CheckResult, ScenarioResult, Verdict
from harness.errors import HarnessError, LocatedError, SourceLocation
from harness.fixnet import SessionSettings, parse_script, run_initiator
from harness.runner.execute import (
    RunContext,
    ScenarioRun,
    _conf,
    _single_service,
    _started,
    fix_credentials,
)
from harness.runner.pairs import BackendPair, make_backend
from harness.runner.rehearse_options import AUTH_CHOICES
from harness.runner.run import Item, Runner
from harness.scenario.loader import ANY_IN_PROFILE, read_conf_file
from harness.scenario.model import (
    AuthExpectation,
    AuthOutcome,
    CipherExpectation,
    Credentials,
    EmbeddedConf,
    EmbeddedText,
    Expectations,
    FixExpectation,
    FixSession,
    Scenario,
    TlsExpectation,
)
from harness.stunnelconf import ServiceSettings, parse_config, resolve
from harness.stunnelconf.paths import select_section, split_conf_ref
from harness.stunnelconf.rewrite import Rewrite, rewrite

#: The conversation with a real counterparty: log on, log out, nothing else.
LOGON_ONLY_SCRIPT = "connect\nexpect Logon\nlogout\nexpect Logout\nexpect disconnect\n"


@dataclass(frozen=True)
class ConfRef:
    """``mine.conf[:SECTION]`` from the command line."""

    path: Path
    section: str | None

    @classmethod
    def parse(cls, text: str) -> ConfRef:
        path, section = split_conf_ref(text)
        return cls(Path(path), section)

    def load(self) -> EmbeddedConf:
        """The file as an EmbeddedConf (paths relative to its directory)."""
        return read_conf_file(self.path, SourceLocation(str(self.path)), self.section)

    def __str__(self) -> str:
        return f"{self.path}:{self.section}" if self.section else str(self.path)


# --- FIX session settings (QuickFIX style) and credentials ------------------------


def _private_text(path: Path, what: str) -> str:
    """A file holding secrets: it must be a regular file only its owner can read."""
    try:
        st = path.stat()
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"cannot read {what} {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise HarnessError(f"{what} {path} is not UTF-8 text") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise HarnessError(
            f"{what} {path} holds secrets but is mode {stat.S_IMODE(st.st_mode):04o}: "
            f"chmod 600 {path}"
        )
    return text


def _ini_sections(text: str, path: str) -> list[tuple[str, dict[str, tuple[str, int]]]]:
    """QuickFIX settings: ``[SECTION]`` headers and ``Key=Value`` lines; ``#``/``;``
    comments. Returns (section, {key: (value, line)}) in file order."""
    sections: list[tuple[str, dict[str, tuple[str, int]]]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            sections.append((line[1:-1].strip().upper(), {}))
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise LocatedError(SourceLocation(path, number), f"{line!r} is not Key=Value")
        if not sections:
            raise LocatedError(SourceLocation(path, number), "a setting before any [SECTION]")
        sections[-1][1][key.strip()] = (value.strip(), number)
    return sections


_SECRET_KEYS = ("Password", "RawData")


def load_fix_settings(path: Path) -> dict[str, str]:
    """A QuickFIX-style settings file: ``[DEFAULT]`` then the first ``[SESSION]``.

    Keys read: BeginString, SenderCompID, TargetCompID, HeartBtInt, and Username;
    Password and RawData only when the file is mode 0600 (secrets never come from a
    file others can read). Other QuickFIX keys (SocketConnectHost, FileStorePath,
    ...) are ignored: the rehearsal owns the sockets and the stores.

    Raises:
        LocatedError / HarnessError: unreadable file, no [SESSION], bad line, a secret
            in a file others can read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise HarnessError(f"cannot read FIX settings {path}: {exc}") from None
    sections = _ini_sections(text, str(path))
    merged: dict[str, tuple[str, int]] = {}
    for name, values in sections:
        if name == "DEFAULT":
            merged.update(values)
    session = next((v for n, v in sections if n == "SESSION"), None)
    if session is None:
        raise LocatedError(SourceLocation(str(path), 1), "no [SESSION] section")
    merged.update(session)
    if any(k in merged for k in _SECRET_KEYS):
        _private_text(path, "FIX settings file")
    return {k: v for k, (v, _) in merged.items()}


def load_credentials_file(path: Path) -> dict[str, str]:
    """``Username=``, ``Password=``, ``RawData=`` lines (``#`` comments) from a file
    only its owner can read (mode 0600)."""
    text = _private_text(path, "credentials file")
    out: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or key not in ("Username", "Password", "RawData"):
            raise LocatedError(
                SourceLocation(str(path), number),
                "expected Username=, Password= or RawData= (the value is not shown)",
            )
        out[key] = value.strip()
    return out


@dataclass(frozen=True)
class SessionSpec:
    """The FIX session of a rehearsal, from flags and files (flags win)."""

    begin_string: str = "FIX.4.4"
    sender: str | None = None
    target: str | None = None
    heartbeat_s: int = 30
    credentials: Credentials | None = None

    def fix_session(self, where: SourceLocation, script: EmbeddedText | None) -> FixSession:
        if not self.sender or not self.target:
            raise HarnessError(
                "the FIX session needs SenderCompID and TargetCompID "
                "(--sender/--target, or --fix-settings with a [SESSION])"
            )
        # validates CompIDs, BeginString and HeartBtInt with the engine's own rules
        SessionSettings(
            sender_comp_id=self.sender,
            target_comp_id=self.target,
            begin_string=self.begin_string,
            heartbeat_interval=self.heartbeat_s,
        )
        return FixSession(
            version=self.begin_string,
            sender_comp_id=self.sender,
            target_comp_id=self.target,
            heartbeat_s=self.heartbeat_s,
            credentials=self.credentials,
            acceptor_credentials=self.credentials,
            script=script,
            location=where,
        )


def session_spec(
    *,
    settings: dict[str, str] | None,
    secrets: dict[str, str] | None,
    sender: str | None,
    target: str | None,
    begin_string: str | None,
    heartbeat: int | None,
    username: str | None,
    password: str | None,
    raw_data: str | None,
) -> SessionSpec:
    """Merge the settings file, the credentials file and the flags (flags win)."""
    s = dict(settings or {})
    s.update(secrets or {})
    hb_text = s.get("HeartBtInt")
    try:
        hb = heartbeat if heartbeat is not None else int(hb_text) if hb_text else 30
    except ValueError:
        raise HarnessError(f"HeartBtInt {hb_text!r} is not a number") from None
    user = username if username is not None else s.get("Username")
    pw = password if password is not None else s.get("Password")
    raw = raw_data if raw_data is not None else s.get("RawData")
    creds = None
    if user is not None or pw is not None or raw is not None:
        if raw is not None and pw is not None:
            raise HarnessError("give Password or RawData credentials, not both")
        creds = Credentials(username=user, password=pw, raw_data=raw)
    return SessionSpec(
        begin_string=begin_string or s.get("BeginString") or "FIX.4.4",
        sender=sender or s.get("SenderCompID"),
        target=target or s.get("TargetCompID"),
        heartbeat_s=hb,
        credentials=creds,
    )


# --- the scenario ------------------------------------------------------------------


def _service(conf: EmbeddedConf, role: str) -> ServiceSettings:
    """The one service of a conf text, resolved without start-up checks."""
    config = parse_config(conf.text, path=conf.location.path, first_line=conf.location.line)
    if conf.section is not None:
        config = select_section(config, conf.section, conf.location)
    if len(config.service_names) != 1:
        names = ", ".join(f"[{n}]" for n in config.service_names) or "none"
        raise LocatedError(
            conf.location,
            f"the {role} file must hold one [service] section, or name one as "
            f"FILE:SECTION (sections: {names})",
        )
    return resolve(config, validate=False).services[0]


def infer_auth(
    client: ServiceSettings, server: ServiceSettings | None, creds: Credentials | None
) -> AuthOutcome | None:
    """What authentication the configs set up (None: nothing to assert)."""
    if client.psk_secrets and (server is None or server.psk_secrets):
        return "psk"
    if client.cert and (server is None or server.require_cert):
        return "mutual-certificate"
    if creds is not None and (creds.password or creds.raw_data):
        return "server-certificate+fix-credentials"
    return None


def rehearsal_scenario(
    client: ConfRef,
    server: ConfRef | None,
    session: SessionSpec,
    *,
    endpoint: tuple[str, int] | None = None,
    profile: str = "stunnel-guide-2017",
    auth: str = "auto",
    orders: int = 3,
) -> Scenario:
    """The in-memory scenario of a rehearsal (both sides from files, or our client
    against ``endpoint``).

    Raises:
        LocatedError: a conf file that cannot be read or parsed (file:line), a
            missing section; HarnessError: incomplete FIX session settings.
    """
    if (server is None) == (endpoint is None):
        raise HarnessError("a rehearsal needs --server FILE or --connect HOST:PORT (one of them)")
    client_conf = client.load()
    client_svc = _service(client_conf, "client")
    if not client_svc.client:
        raise LocatedError(client_svc.location, f"[{client_svc.name}] is not 'client = yes'")
    server_svc: ServiceSettings | None = None
    if server is not None:
        server_conf = server.load()
        server_svc = _service(server_conf, "server")
        if server_svc.client:
            raise LocatedError(server_svc.location, f"[{server_svc.name}] is 'client = yes'")
        title = f"Rehearsal: {client} against {server}"
        script = None
    else:
        assert endpoint is not None
        server_conf = EmbeddedConf("", SourceLocation(f"{endpoint[0]}:{endpoint[1]}"))
        title = f"Rehearsal: {client} against the endpoint {endpoint[0]}:{endpoint[1]}"
        script = EmbeddedText(LOGON_ONLY_SCRIPT, SourceLocation("<rehearsal: logon only>", 1))
    where = SourceLocation(str(client.path))
    fix = session.fix_session(where, script)
    if auth == "auto":
        outcome = infer_auth(client_svc, server_svc, session.credentials)
    elif auth == "none":
        outcome = None
    elif auth in AUTH_CHOICES:
        outcome = auth  # type: ignore[assignment]
    else:
        raise HarnessError(f"--expect-auth must be one of {', '.join(AUTH_CHOICES)}")
    expect = Expectations(
        tls=TlsExpectation(cipher=CipherExpectation(any_in_profile=True), location=where),
        auth=AuthExpectation(outcome, location=where) if outcome else None,
        fix=FixExpectation("accepted", location=where),
        messages=orders if server is not None else None,
        messages_location=where if server is not None else None,
    )
    return Scenario(
        id="rehearsal" if server is not None else "rehearsal-endpoint",
        title=title,
        guide_section=None,
        description=(
            f"{ANY_IN_PROFILE} suite, authentication {outcome or 'not asserted'}, FIX Logon "
            "accepted" + (f", {orders} orders round-trip" if server is not None else "")
        ),
        profile=profile,
        tags=("rehearsal",),
        server_conf=server_conf,
        client_conf=client_conf,
        fix=fix,
        proxy=None,
        expect=expect,
        overrides=(),
        matrix=None,
        source=where,
    )


def conf_secrets(scenario: Scenario) -> list[str]:
    """The PSK keys in the PSKsecrets files the rehearsal's configs name, as written
    (the report writers refuse to write a report that contains one)."""
    from harness.stunnelconf.paths import absolutize_paths

    out: list[str] = []
    for conf in (scenario.client_conf, scenario.server_conf):
        if not conf.text:
            continue
        try:
            config = parse_config(conf.text, path=conf.location.path)
            if conf.base_dir is not None:
                config = absolutize_paths(config, conf.base_dir)
            services = resolve(config, validate=False).services
        except HarnessError:
            continue
        for svc in services:
            if not svc.psk_secrets:
                continue
            try:
                text = Path(svc.psk_secrets).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for line in text.splitlines():
                key = line.strip().partition(":")[2]
                if len(key) >= 8:
                    out.append(key)
    return out


# --- our client against a real endpoint ---------------------------------------------


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def observe_endpoint(
    endpoint: tuple[str, int],
) -> Callable[[Scenario, BackendPair, RunContext, Path, Path | None], ScenarioRun]:
    """An ``observe`` for the runner that runs only our client tunnel, to ``endpoint``.

    The capture relay (or the live sniffer, for a loopback endpoint) sits between
    our tunnel and the endpoint, which is used exactly as given. A ``connect`` host
    name becomes the tunnel's ``sni`` (when the config sets none), so the endpoint
    sees the name it would see without the relay.
    """
    host, port = endpoint

    def observe(
        scenario: Scenario,
        pair: BackendPair,
        ctx: RunContext,
        workdir: Path,
        private_dir: Path | None = None,
    ) -> ScenarioRun:
        from harness.capture import open_capture

        obs = ScenarioRun(pair)
        workdir.mkdir(parents=True, exist_ok=True)
        # the tunnel's real config and the key log stay private (harness.runner.rundir)
        tunnel_dir = private_dir or workdir
        client_cfg = _conf(scenario.client_conf, dict(ctx.placeholders))
        svc = _single_service(client_cfg, scenario.client_conf, "client")
        if not _is_ip(host) and client_cfg.service(svc).get("sni") is None:
            client_cfg = client_cfg.set_option(svc, "sni", host)
            obs.notes.append(f"sni = {host} set: the tunnel connects through the capture relay")
        assert scenario.fix.script is not None
        script = parse_script(scenario.fix.script.text, origin=scenario.fix.script.location)
        initiator = SessionSettings(
            sender_comp_id=scenario.fix.sender_comp_id,
            target_comp_id=scenario.fix.target_comp_id,
            begin_string=scenario.fix.version,
            heartbeat_interval=scenario.fix.heartbeat_s,
            credentials=fix_credentials(scenario.fix.credentials),
            reset_on_logon=True,
        )
        backend = make_backend(pair.client)
        avail = backend.check()
        if not avail.ok:
            raise HarnessError(f"backend {backend.name} cannot run here: {avail.reason}")
        loopback = _is_ip(host) and ipaddress.ip_address(host).is_loopback
        method = ctx.capture if loopback else "tap"
        with contextlib.ExitStack() as stack:
            keylog = tunnel_dir / "tls.keylog"
            capture = stack.enter_context(
                open_capture(method, endpoint, workdir, "tls", keylog_path=keylog)
            )
            run = rewrite(client_cfg, Rewrite(connect={svc: capture.client_target}))
            obs.notes.extend(run.notes)
            obs.client_settings = resolve(run.config).service(svc)
            client = stack.enter_context(
                _started(backend, run.config, tunnel_dir, "client", keylog)
            )
            obs.artifacts["client-log"] = client.log_path
            obs.artifacts["client-conf"] = tunnel_dir / "client.conf"
            chost, cport = client.address()
            obs.conversation = asyncio.run(
                run_initiator(initiator, script, chost, cport, timeout=ctx.timeout)
            )
            client.wait_connections_closed(2.0)
            client.stop()
            obs.capture = capture.finish()
            obs.client_log = client.facts()
        obs.sockets_skipped = "the endpoint is the counterparty's: no probe connection is made"
        obs.artifacts["pcap"] = obs.capture.pcap_path
        try:
            handshakes = obs.capture.handshakes()
        except HarnessError as exc:
            obs.handshake_missing = f"the capture could not be read: {exc}"
            return obs
        if not handshakes:
            obs.handshake_missing = f"no TCP connection to {host}:{port} was captured"
        else:
            obs.handshake = handshakes[0]
            obs.extra_handshakes = len(handshakes) - 1
        return obs

    return observe


#: Checks about the counterparty's side, which a rehearsal against its endpoint
#: cannot observe: not applicable (with the reason), never a pass.
_THEIRS = {
    "log.matches-wire.server": "the server is the counterparty's endpoint: its log is not ours",
}
_NO_PROBE = (
    "TCP_NODELAY is read through a probe connection; none is made to the counterparty's endpoint"
)


class EndpointRunner(Runner):
    """The runner of ``rehearse --connect``: our client tunnel against an endpoint."""

    def __init__(self, report_dir: Path, endpoint: tuple[str, int], **kwargs: object) -> None:
        super().__init__(report_dir, observe_fn=observe_endpoint(endpoint), **kwargs)  # type: ignore[arg-type]

    def run_item(self, item: Item) -> ScenarioResult:
        result = super().run_item(item)
        checks: list[CheckResult] = []
        for c in result.checks:
            reason = _THEIRS.get(c.id)
            if c.id.startswith("socket.nodelay.") and c.verdict is Verdict.INCONCLUSIVE:
                reason = _NO_PROBE
            if reason is not None:
                c = replace(c, verdict=Verdict.NOT_APPLICABLE, reason=reason)
            checks.append(c)
        return replace(result, checks=tuple(checks))


def endpoint_pair(client_backend: str, endpoint: tuple[str, int]) -> BackendPair:
    """The pair a report shows: our backend, and the endpoint in place of a backend."""
    BackendPair.parse(f"{client_backend}:python")  # validates the backend name
    return BackendPair(client_backend, f"{endpoint[0]}:{endpoint[1]}")


__all__ = [
    "AUTH_CHOICES",
    "LOGON_ONLY_SCRIPT",
    "ConfRef",
    "EndpointRunner",
    "SessionSpec",
    "conf_secrets",
    "endpoint_pair",
    "infer_auth",
    "load_credentials_file",
    "load_fix_settings",
    "observe_endpoint",
    "rehearsal_scenario",
    "session_spec",
]
