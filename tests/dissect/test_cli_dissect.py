"""``fixs-harness dissect`` on a real capture and on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.capture.tap import TapRelay
from harness.cli import main
from tests.capture.peers import Pki, s_client, s_server


@pytest.fixture(scope="module")
def capture(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str | None]:
    d = tmp_path_factory.mktemp("cli")
    with (
        s_server(d, ["-cert", str(pki.rsa_server)]) as port,
        TapRelay(("127.0.0.1", port), d / "leg.pcap") as tap,
    ):
        run = s_client(
            tap.address,
            ["-tls1_3", "-servername", "fix.example", "-keylogfile", str(d / "leg.keylog")],
        )
        assert tap.wait_idle(10)
    # A refused connection: no cipher suite in common.
    strict = ["-cert", str(pki.rsa_server), "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"]
    with (
        s_server(d, strict) as other_port,
        TapRelay(("127.0.0.1", other_port), d / "other.pcap") as tap,
    ):
        s_client(tap.address, ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])
        assert tap.wait_idle(10)
    return d / "leg.pcap", port, run.cipher_name


def test_json_output_names_codes_and_uses_the_keylog_beside_the_pcap(capture, capsys) -> None:
    pcap, port, cipher = capture
    assert main(["dissect", str(pcap), "--json", "--port", str(port)]) == 0
    out = json.loads(capsys.readouterr().out)
    (h,) = out["handshakes"]
    assert h["complete"] and h["negotiated"] is True and h["decrypted"] is True
    assert h["cipher_selected"]["openssl_name"] == cipher
    assert h["cipher_selected"]["code"].startswith("0x13")
    assert h["sni"] == "fix.example"
    assert h["version_selected"] == "TLSv1.3"


def test_table_output(capture, capsys) -> None:
    pcap, _, cipher = capture
    assert main(["dissect", str(pcap)]) == 0
    text = capsys.readouterr().out
    assert "negotiated             yes" in text
    assert cipher in text and "ClientHello" in text and "Finished (decrypted)" in text


def test_refused_connection_shows_the_alert_and_sender(capture, capsys) -> None:
    pcap, _, _ = capture
    assert main(["dissect", str(pcap.with_name("other.pcap")), "--json"]) == 0
    (h,) = json.loads(capsys.readouterr().out)["handshakes"]
    assert h["negotiated"] is False
    assert [(a["sender"], a["name"]) for a in h["alerts"]] == [("server", "handshake_failure")]


def test_port_filter_excludes_other_connections(capture, capsys) -> None:
    pcap, port, _ = capture
    assert main(["dissect", str(pcap), "--json", "--port", str(port + 1)]) == 0
    assert json.loads(capsys.readouterr().out)["handshakes"] == []


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "no such capture file"), (b"not a capture", "not a pcap or pcapng file")],
)
def test_bad_input_is_a_one_line_error(tmp_path: Path, capsys, content, message) -> None:
    path = tmp_path / "x.pcap"
    if content is not None:
        path.write_bytes(content)
    assert main(["dissect", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_missing_keylog_is_a_user_error(capture, tmp_path: Path, capsys) -> None:
    pcap, _, _ = capture
    assert main(["dissect", str(pcap), "--keylog", str(tmp_path / "nope.keylog")]) == 2
    assert "cannot read key log" in capsys.readouterr().err
