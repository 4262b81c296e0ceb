"""Live sniffing vs the tap, and the open_capture facade."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.capture import open_capture, sniff_unavailable_reason
from harness.capture.sniff import LoopbackSniffer
from harness.capture.tap import TapRelay
from harness.dissect import dissect_pcap
from harness.errors import HarnessError
from tests.capture.peers import OPENSSL, Pki, make_pki, s_client, s_server

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs openssl")
needs_sniff = pytest.mark.skipif(
    sniff_unavailable_reason() is not None, reason=f"{sniff_unavailable_reason()}"
)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _both(tmp_path: Path, port: int, client_args: list[str], keylog: Path | None = None):
    """One connection through the tap while sniffing the tap→server leg."""
    sniffer = LoopbackSniffer(port, tmp_path / "sniff.pcap").start()
    try:
        with TapRelay(("127.0.0.1", port), tmp_path / "tap.pcap") as tap:
            run = s_client(tap.address, client_args, send=b"ping\n")
            assert tap.wait_idle(10)
    finally:
        sniffer.stop()
    tapped = dissect_pcap(tmp_path / "tap.pcap", server_port=port, keylog=keylog)
    sniffed = dissect_pcap(tmp_path / "sniff.pcap", server_port=port, keylog=keylog)
    return run, tapped, sniffed


@needs_sniff
@pytest.mark.parametrize(
    "client_args",
    [
        ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"],
        ["-tls1_2", "-cipher", "DHE-RSA-AES128-SHA256"],
        ["-tls1_3"],
    ],
)
def test_tap_and_sniff_give_identical_handshakes(
    client_args: list[str], pki: Pki, tmp_path: Path
) -> None:
    keylog = tmp_path / "keys.log"
    with s_server(
        tmp_path, ["-cert", str(pki.rsa_server), "-verify", "2", "-CAfile", str(pki.ca)]
    ) as port:
        run, tapped, sniffed = _both(
            tmp_path,
            port,
            [*client_args, "-cert", str(pki.client), "-keylogfile", str(keylog)],
            keylog,
        )
    assert len(tapped) == len(sniffed) == 1
    t, s = tapped[0], sniffed[0]
    assert t.complete and t.negotiated is True and t.cipher_selected == run.cipher_code
    assert t.comparable() == s.comparable()
    # Each capture saw its own leg: client addresses differ, the server is the same.
    assert t.server == s.server and t.client != s.client


@needs_sniff
def test_different_connections_are_not_equal(pki: Pki, tmp_path: Path) -> None:
    # Negative control for the equality above: comparable() keeps the facts, so a
    # connection negotiated differently does not compare equal.
    with s_server(tmp_path, ["-cert", str(pki.rsa_server)]) as port:
        a_dir, b_dir = tmp_path / "a", tmp_path / "b"
        a_dir.mkdir()
        b_dir.mkdir()
        _, a, _ = _both(a_dir, port, ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"])
        _, b, b_sniffed = _both(b_dir, port, ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])
    assert a[0].cipher_selected != b[0].cipher_selected
    assert a[0].comparable() != b_sniffed[0].comparable()
    assert b[0].comparable() == b_sniffed[0].comparable()


@needs_sniff
def test_auto_prefers_sniff_and_the_client_connects_to_the_server(pki: Pki, tmp_path: Path) -> None:
    with s_server(tmp_path, ["-cert", str(pki.rsa_server)]) as port:
        with open_capture("auto", ("127.0.0.1", port), tmp_path, "auto") as cap:
            assert cap.method == "sniff" and cap.client_target == ("127.0.0.1", port)
            run = s_client(cap.client_target, ["-tls1_2", "-keylogfile", str(cap.keylog_path)])
        result = cap.result
    assert result is not None and result.method == "sniff" and result.fallback_reason is None
    assert result.keylog_path == cap.keylog_path
    (h,) = result.handshakes()
    assert h.cipher_selected == run.cipher_code and h.negotiated is True


def test_forced_tap_interposes_a_relay(pki: Pki, tmp_path: Path) -> None:
    with s_server(tmp_path, ["-cert", str(pki.rsa_server)]) as port:
        with open_capture("tap", ("127.0.0.1", port), tmp_path, "forced") as cap:
            assert cap.method == "tap" and cap.client_target != ("127.0.0.1", port)
            run = s_client(cap.client_target, ["-tls1_3", "-keylogfile", str(cap.keylog_path)])
        result = cap.result
    assert result is not None and result.pcap_path == tmp_path / "forced.pcap"
    assert result.keylog_path is not None and result.keylog_path.stat().st_mode & 0o077 == 0
    (h,) = result.handshakes()
    assert h.cipher_selected == run.cipher_code and h.decrypted  # keylog found beside the pcap


def test_session_stops_its_relay_when_the_body_raises(tmp_path: Path) -> None:
    import threading

    with pytest.raises(RuntimeError), open_capture("tap", ("127.0.0.1", 9), tmp_path, "boom"):
        raise RuntimeError("scenario failed")
    assert not [t for t in threading.enumerate() if t.name.startswith("tap-")]


def test_a_key_log_that_cannot_be_created_starts_no_relay(tmp_path: Path) -> None:
    import threading

    (tmp_path / "blocked.keylog").mkdir()  # the key log's name is taken by a directory
    with pytest.raises(OSError):
        open_capture("tap", ("127.0.0.1", 9), tmp_path, "blocked")
    assert not [t for t in threading.enumerate() if t.name.startswith("tap-")]
    # Negative control: the same call with a free name does start the relay.
    with open_capture("tap", ("127.0.0.1", 9), tmp_path, "free"):
        assert [t for t in threading.enumerate() if t.name.startswith("tap-")]


def test_unused_keylog_leaves_no_file(tmp_path: Path) -> None:
    with open_capture("tap", ("127.0.0.1", 9), tmp_path, "quiet") as cap:
        assert cap.keylog_path.exists()  # ready for an endpoint, owner-only
        assert cap.keylog_path.stat().st_mode & 0o077 == 0
    assert cap.result is not None and cap.result.keylog_path is None
    assert not (tmp_path / "quiet.keylog").exists()


def test_unknown_method_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="unknown capture method"):
        open_capture("wiretap", ("127.0.0.1", 9), tmp_path, "x")  # type: ignore[arg-type]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="needs tshark")
def test_wireshark_decrypts_tls13_with_the_keylog_beside_the_pcap(pki: Pki, tmp_path: Path) -> None:
    with (
        s_server(tmp_path, ["-cert", str(pki.rsa_server)]) as port,
        open_capture("tap", ("127.0.0.1", port), tmp_path, "ws") as cap,
    ):
        s_client(cap.client_target, ["-tls1_3", "-keylogfile", str(cap.keylog_path)])

    def handshake_types(*opts: str) -> set[str]:
        out = subprocess.run(
            ["tshark", "-r", str(tmp_path / "ws.pcap"), "-d", f"tcp.port=={port},tls", *opts,
             "-T", "fields", "-e", "tls.handshake.type"],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return {t for line in out.stdout.split() for t in line.split(",")}

    assert "11" in handshake_types("-o", f"tls.keylog_file:{tmp_path / 'ws.keylog'}")  # Certificate
    assert "11" not in handshake_types()  # negative control: encrypted without the keylog


@needs_sniff
def test_auto_falls_back_to_the_tap_when_the_sniffer_cannot_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real failure inside scapy: capturing on an interface that does not exist.
    import harness.capture.sniff as sniff

    monkeypatch.setattr(sniff, "LOOPBACK_IFACE", "nosuchif0")
    with open_capture("auto", ("127.0.0.1", 9), tmp_path, "fb") as cap:
        assert cap.method == "tap" and "nosuchif0" in (cap.fallback_reason or "")
    with pytest.raises(HarnessError, match="cannot sniff on nosuchif0"):
        open_capture("sniff", ("127.0.0.1", 9), tmp_path, "forced-sniff")
