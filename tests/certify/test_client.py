"""certify client: the ClientHello of ``openssl s_client`` and of a stunnel client as
reported, and clients that do and do not check the server's IP address."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from harness.certify import ClientOutcome, ClientRequest, certify_client
from harness.checks.model import Verdict
from harness.pki import TestPKI
from harness.profiles import Profile
from harness.stunnelconf import parse_config
from harness.stunnelconf.rewrite import Rewrite, rewrite
from tests.tunnel.kit import GUIDE, require_stunnel

from .peers import GUIDE_CIPHERS

ROUNDS = 4


@contextmanager
def harness_server(
    profile: Profile, pki: TestPKI, workdir: Path, *, handshake_timeout: float = 10.0
) -> Iterator[tuple[int, dict[str, ClientOutcome]]]:
    ready = threading.Event()
    port: dict[str, int] = {}
    out: dict[str, ClientOutcome] = {}
    errors: list[BaseException] = []

    def on_ready(address: tuple[str, int], root: Path) -> None:
        port["p"] = address[1]
        ready.set()

    def body() -> None:
        try:
            request = ClientRequest(
                ("127.0.0.1", 0),
                profile,
                pki_dir=pki.directory,
                wait=15,
                handshake_timeout=handshake_timeout,
            )
            out["o"] = certify_client(request, workdir / "out", ready=on_ready)
        except BaseException as exc:
            errors.append(exc)
            ready.set()

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    try:
        assert ready.wait(15) and not errors, errors
        yield port["p"], out
    finally:
        # make sure the listener's remaining rounds end: connect and close
        if thread.is_alive():
            for _ in range(ROUNDS):
                with (
                    suppress(OSError),
                    socket.create_connection(("127.0.0.1", port.get("p", 1)), timeout=1),
                ):
                    pass
        thread.join(30)
    assert not errors, errors


def s_client(port: int, *args: str | Path) -> None:
    subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *map(str, args)],
        stdin=subprocess.DEVNULL, capture_output=True, timeout=15, check=False,
    )  # fmt: skip


def checks_of(outcome: ClientOutcome) -> dict[str, Verdict]:
    return {c.id: c.verdict for c in outcome.run.results[0].checks}


def notes_of(outcome: ClientOutcome) -> dict[str, str]:
    return {n.id: n.text for n in outcome.run.results[0].notes}


def drive(port: int, connect: Callable[[], None]) -> None:
    for _ in range(ROUNDS):
        connect()


def compliant_client(pki: TestPKI) -> tuple[str | Path, ...]:
    """s_client flags of a client that does everything the guide asks (case 1b)."""
    return ("-CAfile", pki.root_ca_path, "-verify_return_error", "-verify_ip", "127.0.0.1",
            "-tls1_2", "-cipher", GUIDE_CIPHERS, "-servername", "fix-server.test",
            "-cert", pki.client_rsa.cert_path, "-key", pki.client_rsa.key_path)  # fmt: skip


def test_s_client_hello_reported_and_ip_checked(
    pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    args = compliant_client(pki)
    with harness_server(guide, pki, workdir) as (port, out):
        drive(port, lambda: s_client(port, *args))
    outcome = out["o"]
    checks = checks_of(outcome)
    assert outcome.exit_code == 0, checks
    notes = notes_of(outcome)
    assert notes["client.hello.versions"] == "TLSv1.2"
    assert notes["client.hello.sni"] == "fix-server.test"
    # the suites in the client's order are exactly the configured list's codes
    from harness.tls.registry import suite_by_openssl_name

    wanted = [suite_by_openssl_name(n) for n in GUIDE_CIPHERS.split(":")]
    offered = [s.split()[0] for s in notes["client.hello.suites"].split(", ")]
    # in the configured order, then the renegotiation SCSV OpenSSL appends
    assert offered == [s.code_str for s in wanted if s] + ["0x00FF"]
    assert (
        "presented" in notes["client.certificate"] and "client-rsa" in notes["client.certificate"]
    )
    assert checks["auth.server-certificate.wrong-host.refused"] is Verdict.PASS


def test_s_client_accepting_wrong_ip_is_detected(
    pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    """Negative control: the same client without -verify_ip takes a certificate for
    127.0.0.2 when it connected to 127.0.0.1."""
    args = (
        "-CAfile",
        pki.root_ca_path,
        "-verify_return_error",
        "-tls1_2",
        "-cipher",
        GUIDE_CIPHERS,
    )
    with harness_server(guide, pki, workdir) as (port, out):
        drive(port, lambda: s_client(port, *args))
    outcome = out["o"]
    checks = checks_of(outcome)
    assert outcome.exit_code == 1
    assert {k for k, v in checks.items() if v is Verdict.FAIL} == {
        "auth.server-certificate.wrong-host.refused"
    }
    assert checks["auth.server-certificate.unrelated-ca.refused"] is Verdict.PASS
    assert checks["auth.server-certificate.expired.refused"] is Verdict.PASS
    assert notes_of(outcome)["client.certificate"] == "none presented"


def stunnel_client_config(name: str, pki: TestPKI, port: int, *, cap: bool) -> str:
    path = GUIDE / f"{name}.conf"
    config = parse_config(path.read_text(), path=str(path))
    paths = {
        "/etc/stunnel/stunnel2.pem": str(pki.client_rsa.pem_path),
        "/etc/ssl/certs/stunnel.pem": str(pki.chain_path),
        "/etc/ssl/certs/ca-chain.cert.pem": str(pki.chain_path),
    }
    spec = Rewrite(connect={"fix-client": ("127.0.0.1", port)}, paths=paths,
                   ips={"192.168.153.32": "127.0.0.1"})  # fmt: skip
    config = rewrite(config, spec).config
    if cap:
        config = config.set_option("fix-client", "sslVersion", "TLSv1.2")
    return config.render()


@pytest.mark.parametrize(
    ("name", "wrong_host_refused"), [("3b-client", True), ("1b-client", False)]
)
def test_stunnel_client(
    pki: TestPKI, guide: Profile, workdir: Path, name: str, wrong_host_refused: bool
) -> None:
    """3b's client checks the IP (checkIP) and refuses 127.0.0.2's certificate; 1b's
    verifies only the chain and takes it. The guide's client sections do not cap the
    version: the report shows TLS 1.3 offered (with its suites), a profile failure."""
    backend = require_stunnel()
    with harness_server(guide, pki, workdir) as (port, out):
        conf = parse_config(stunnel_client_config(name, pki, port, cap=False), path=name)
        with backend.start(conf, workdir, label="client") as client:

            def connect() -> None:
                # a reset of the local connect itself (rare, under load) is retried;
                # if no connection ever reaches the harness, the checks below fail
                for _attempt in range(3):
                    try:
                        s = socket.create_connection(client.address(), timeout=10)
                    except ConnectionResetError:
                        continue
                    with s:
                        s.settimeout(10)
                        with suppress(OSError):
                            s.sendall(b"8=FIX.4.4\x01")
                            while s.recv(4096):
                                pass
                    return

            drive(port, connect)
    outcome = out["o"]
    checks = checks_of(outcome)
    notes = notes_of(outcome)
    assert "TLSv1.3" in notes["client.hello.versions"]
    assert checks["tls.version.offered"] is Verdict.FAIL
    assert checks["auth.server-certificate.valid.accepted"] is Verdict.PASS
    expected = Verdict.PASS if wrong_host_refused else Verdict.FAIL
    assert checks["auth.server-certificate.wrong-host.refused"] is expected
    assert checks["auth.server-certificate.unrelated-ca.refused"] is Verdict.PASS
    assert checks["auth.server-certificate.expired.refused"] is Verdict.PASS


def _stalling_client(port: int) -> None:
    """Send a ClientHello, then nothing: wait (bounded) for the server to hang up."""
    from harness.certify.hello import HelloSpec, client_hello, offerable
    from harness.tls.registry import all_suites
    from harness.tls.versions import TLS12

    hello = client_hello(HelloSpec(TLS12, offerable([s.code for s in all_suites()], TLS12)))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(hello)
        with suppress(OSError):
            while s.recv(65536):
                pass


def test_client_stalling_after_hello_is_not_a_refusal(
    pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    """Issue 15: a client that completes the valid round and then stalls after its
    ClientHello was counted as refusing each bad certificate (judged COMPLIANT), and
    each round waited a fixed 10 s whatever --timeout said. Control: the same rounds
    by s_client, which does refuse (test_s_client_hello_reported_and_ip_checked)."""
    args = ("-CAfile", pki.root_ca_path, "-verify_return_error", "-verify_ip", "127.0.0.1",
            "-tls1_2", "-cipher", GUIDE_CIPHERS)  # fmt: skip
    started = time.monotonic()
    with harness_server(guide, pki, workdir, handshake_timeout=1.0) as (port, out):
        s_client(port, *args)
        for _ in range(ROUNDS - 1):
            _stalling_client(port)
    elapsed = time.monotonic() - started
    outcome = out["o"]
    checks = checks_of(outcome)
    assert checks["auth.server-certificate.valid.accepted"] is Verdict.PASS
    for kind in ("wrong-host", "unrelated-ca", "expired"):
        assert checks[f"auth.server-certificate.{kind}.refused"] is Verdict.INCONCLUSIVE
    text = {c.id: c.observed for c in outcome.run.results[0].checks}
    assert "stalled" in text["auth.server-certificate.expired.refused"]
    assert outcome.exit_code == 2
    assert elapsed < 10, elapsed  # three stalled rounds of 1 s, not 3 x 10 s


def test_client_sending_plaintext_fix_is_a_finding(
    pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    from harness.certify.diagnose import plaintext_logon

    with harness_server(guide, pki, workdir, handshake_timeout=2.0) as (port, out):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        with sock, suppress(OSError):
            sock.sendall(plaintext_logon("CLIENT1", "SERVER1"))
            while sock.recv(65536):
                pass
    outcome = out["o"]
    checks = checks_of(outcome)
    assert checks["client.plaintext-fix"] is Verdict.FAIL
    assert outcome.exit_code == 1


def test_cli_client_timeout_is_honoured(pki: TestPKI, workdir: Path) -> None:
    """`certify client --timeout 1`: a stalled round ends after 1 s (it was a fixed 10 s)."""
    from harness.cli import main

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result: dict[str, int] = {}
    argv = ["certify", "client", "--listen", f"127.0.0.1:{port}", "--pki", str(pki.directory),
            "--timeout", "1", "--wait", "5", "--report-dir", str(workdir), "--format", "json"]  # fmt: skip
    thread = threading.Thread(target=lambda: result.setdefault("code", main(argv)), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            break  # listening (this connection is round 1, refused without a hello)
        time.sleep(0.05)
    started = time.monotonic()
    for _ in range(ROUNDS - 1):
        _stalling_client(port)
    elapsed = time.monotonic() - started
    thread.join(30)
    assert result.get("code") == 2
    assert elapsed < 8, elapsed


def test_stop_ends_the_rounds_in_a_worker_thread(
    pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    """Used from a worker thread (the pytest plugin, a test), the rounds poll
    ``signals.STOPPING``: once it is set, a listener waiting for the next round is
    closed within a moment, the thread ends, and the outcome is marked interrupted
    with the rounds that finished (here: the valid one). Its key is the user's
    ``--pki`` directory, read where it is: nothing of it is copied into the report."""
    from harness import signals

    args = ("-CAfile", pki.root_ca_path, "-verify_return_error", "-verify_ip", "127.0.0.1")
    before = {t.ident for t in threading.enumerate()}
    try:
        with harness_server(guide, pki, workdir) as (port, out):
            s_client(port, *args)
            time.sleep(0.3)  # the listener waits for round 2 (wait=15 s)
            started = time.monotonic()
            signals.STOPPING.set()
            deadline = time.monotonic() + 5
            while "o" not in out and time.monotonic() < deadline:
                time.sleep(0.05)
            stopped_in = time.monotonic() - started
    finally:
        signals.reset_for_tests()
    outcome = out["o"]
    assert stopped_in < 2, stopped_in
    assert outcome.run.interrupted == "SIGINT"
    assert outcome.exit_code == 130
    assert list(outcome.wires) == ["valid"]
    assert checks_of(outcome)["auth.server-certificate.valid.accepted"] is Verdict.PASS
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # the listener is closed
    assert [t for t in threading.enumerate() if t.ident not in before] == []
    report = workdir / "out"
    assert outcome.root_ca == pki.root_ca_path and not (report / "root-ca.pem").exists()
    assert not [p for p in report.rglob("*") if p.suffix in (".key", ".pem")]
    assert (pki.directory / "manifest.json").is_file()


class _RoundsThenSignal:
    """The four rounds, then a stop signal as the loop over them ends (the signal
    landing after the last round finished); later iterations are plain."""

    def __init__(self, rounds: tuple[str, ...]) -> None:
        self.rounds, self.armed = rounds, True

    def __iter__(self) -> Iterator[str]:
        yield from self.rounds
        if self.armed:
            self.armed = False
            raise KeyboardInterrupt


def test_signal_after_the_last_round_is_never_a_pass(
    pki: TestPKI, guide: Profile, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A compliant client (the s_client of the control above, exit 0 there) whose
    four rounds all finished before the stop signal: the report is interrupted, its
    result's error "interrupted by SIGINT", its verdict inconclusive, never pass
    (like ``certify server``)."""
    import harness.certify.client as client

    monkeypatch.setattr(client, "ROUNDS", _RoundsThenSignal(client.ROUNDS))
    args = compliant_client(pki)
    with harness_server(guide, pki, workdir) as (port, out):
        drive(port, lambda: s_client(port, *args))
    outcome = out["o"]
    assert list(outcome.wires) == ["valid", "wrong-host", "unrelated-ca", "expired"]
    assert outcome.run.interrupted == "SIGINT" and outcome.exit_code == 130
    assert "fail" not in {v.value for v in checks_of(outcome).values()}  # all judged
    (result,) = outcome.run.results
    assert result.error == "interrupted by SIGINT"
    assert result.verdict is Verdict.INCONCLUSIVE and outcome.run.verdict is not Verdict.PASS
