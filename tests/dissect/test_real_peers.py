"""Acceptance: the dissector against peers nobody here wrote (openssl, stunnel).

For every suite of the stunnel guide, the PSK suites and TLS 1.3, the dissected
selected cipher must equal what ``openssl s_client`` reports for the very same
connection (captured through the tap). Refusals must yield the alert the
refusing side sent, attributed to that side.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.dissect import Handshake, KeyLog
from harness.tls.registry import suite_by_openssl_name
from tests.capture.peers import (
    PSK_IDENTITY,
    PSK_KEY_HEX,
    STUNNEL,
    Pki,
    s_client,
    s_server,
    stunnel_server,
)

RSA_SUITES = [
    "DHE-RSA-AES128-SHA256",
    "DHE-RSA-AES128-GCM-SHA256",
    "DHE-RSA-AES256-SHA256",
    "DHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
]
ECDSA_SUITES = [
    "ECDHE-ECDSA-AES128-SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-SHA384",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
]
PSK_SUITES = [
    "PSK-AES128-CBC-SHA",
    "PSK-AES256-CBC-SHA",
    "DHE-PSK-AES128-CBC-SHA",
    "DHE-PSK-AES256-CBC-SHA",
]
TLS13_SUITES = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]


@pytest.fixture(scope="module")
def rsa_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with s_server(
        tmp_path_factory.mktemp("rsa"), ["-cert", str(pki.rsa_server), "-cipher", "ALL"]
    ) as port:
        yield port


@pytest.fixture(scope="module")
def ecdsa_server(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    with s_server(
        tmp_path_factory.mktemp("ec"), ["-cert", str(pki.ecdsa_server), "-cipher", "ALL"]
    ) as port:
        yield port


def _assert_negotiated(h: Handshake, expected_code: int | None) -> None:
    assert h.complete, h.incomplete_reason
    assert expected_code is not None, "s_client did not negotiate"
    assert h.cipher_selected == expected_code
    assert h.negotiated is True
    assert h.fatal_alert is None
    assert expected_code in h.ciphers_offered


@pytest.mark.parametrize("name", RSA_SUITES + ECDSA_SUITES)
def test_certificate_suite_matches_s_client(
    name: str, tapped, rsa_server: int, ecdsa_server: int
) -> None:
    port = ecdsa_server if "ECDSA" in name else rsa_server
    h = tapped(
        port, lambda t: s_client(t, ["-tls1_2", "-cipher", name, "-servername", "fix.example"])
    )
    run = tapped.last_run
    _assert_negotiated(h, run.cipher_code)
    suite = suite_by_openssl_name(name)
    assert suite is not None and h.cipher_selected == suite.code
    assert h.version_selected == 0x0303 and run.protocol == "TLSv1.2"
    assert h.sni == "fix.example"
    assert h.server_certificates and h.server_certificates[0].key_type == (
        "EC" if "ECDSA" in name else "RSA"
    )
    assert "DNS:fix.example" in h.server_certificates[0].sans
    if name.startswith("DHE"):
        assert h.dh_prime_bits is not None and h.dh_prime_bits >= 2048
    else:
        assert h.kx_group is not None
    # No client certificate was requested, so none was sent: not mutual TLS.
    assert h.certificate_request is False
    assert h.client_certificates == () and h.mutual_tls is False
    assert h.resumed is False


@pytest.mark.parametrize("name", PSK_SUITES)
def test_psk_suite_and_identity(name: str, tapped, tmp_path: Path) -> None:
    server_args = [
        "-nocert", "-psk", PSK_KEY_HEX, "-psk_identity", PSK_IDENTITY,
        "-psk_hint", "fix-hint", "-cipher", "PSK:DHEPSK",
    ]  # fmt: skip
    with s_server(tmp_path, server_args) as port:
        h = tapped(
            port,
            lambda t: s_client(
                t, ["-tls1_2", "-cipher", name, "-psk", PSK_KEY_HEX, "-psk_identity", PSK_IDENTITY]
            ),
        )
    _assert_negotiated(h, tapped.last_run.cipher_code)
    assert h.psk_identity == PSK_IDENTITY
    assert h.psk_identity_hint == "fix-hint"
    assert h.server_certificates == ()  # PSK: no certificate at all
    if name.startswith("DHE"):
        assert h.dh_prime_bits is not None
    # The PSK key itself must never surface in the facts.
    assert PSK_KEY_HEX not in repr(h.to_dict())


@pytest.mark.parametrize("name", TLS13_SUITES)
def test_tls13_suite_with_and_without_keylog(
    name: str, tapped, rsa_server: int, tmp_path: Path
) -> None:
    keylog = tmp_path / "keys.log"
    h = tapped(
        rsa_server,
        lambda t: s_client(t, ["-tls1_3", "-ciphersuites", name, "-keylogfile", str(keylog)]),
        keylog=keylog,
    )
    _assert_negotiated(h, tapped.last_run.cipher_code)
    assert h.version_selected == 0x0304 and 0x0304 in h.versions_offered
    assert h.decrypted
    assert h.server_certificates and h.server_certificates[0].key_type == "RSA"
    assert h.certificate_request is False and h.client_certificates == ()
    assert h.kx_group is not None
    # Negative control: the same capture without the key log hides what is encrypted.
    pcap = sorted(tmp_path.glob("c*.pcap"))[-1]
    from harness.dissect import dissect_pcap

    (blind,) = dissect_pcap(pcap, server_port=rsa_server)
    assert blind.cipher_selected == h.cipher_selected
    assert blind.negotiated is None and not blind.decrypted
    assert blind.server_certificates is None and blind.client_certificates is None


def test_keylog_of_another_connection_does_not_decrypt(
    tapped, rsa_server: int, tmp_path: Path
) -> None:
    keylog = tmp_path / "other.log"
    s_client(("127.0.0.1", rsa_server), ["-tls1_3", "-keylogfile", str(keylog)])
    assert len(KeyLog.load(keylog)) > 0
    h = tapped(rsa_server, lambda t: s_client(t, ["-tls1_3"]), keylog=keylog)
    assert not h.decrypted and h.negotiated is None


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
@pytest.mark.parametrize("with_cert", [True, False])
def test_client_certificate_seen_exactly_when_mutual(
    version: str, with_cert: bool, pki: Pki, tapped, tmp_path: Path
) -> None:
    # -verify requests a certificate but does not require one, so both runs succeed.
    args = ["-cert", str(pki.rsa_server), "-verify", "2", "-CAfile", str(pki.ca)]
    keylog = tmp_path / "keys.log"
    client_args = [version, "-keylogfile", str(keylog)]
    if with_cert:
        client_args += ["-cert", str(pki.client)]
    with s_server(tmp_path, args) as port:
        h = tapped(port, lambda t: s_client(t, client_args), keylog=keylog)
    _assert_negotiated(h, tapped.last_run.cipher_code)
    assert h.certificate_request is True
    assert any("Testing CA" in n for n in h.certificate_request_ca_names)
    assert h.mutual_tls is with_cert
    if with_cert:
        assert h.client_certificates is not None
        assert h.client_certificates[0].subject == pki.client_subject
        assert "DNS:client.example" in h.client_certificates[0].sans
    else:
        assert h.client_certificates == ()


def test_tls13_client_certificate_invisible_without_keylog(
    pki: Pki, tapped, tmp_path: Path
) -> None:
    args = ["-cert", str(pki.rsa_server), "-verify", "2", "-CAfile", str(pki.ca)]
    with s_server(tmp_path, args) as port:
        h = tapped(port, lambda t: s_client(t, ["-tls1_3", "-cert", str(pki.client)]))
    assert h.cipher_selected == tapped.last_run.cipher_code
    assert h.client_certificates is None and h.mutual_tls is None
    assert h.certificate_request is None


# -- refusals --------------------------------------------------------------------


def _assert_refused(h: Handshake, sender: str, description: int) -> None:
    assert h.complete, h.incomplete_reason
    assert h.negotiated is False
    alert = h.fatal_alert
    assert alert is not None, h.alerts
    assert (alert.sender, alert.description) == (sender, description)
    assert not alert.encrypted


def test_no_shared_cipher_is_handshake_failure_from_server(
    tapped, tmp_path: Path, pki: Pki
) -> None:
    args = ["-cert", str(pki.rsa_server), "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"]
    with s_server(tmp_path, args) as port:
        h = tapped(
            port, lambda t: s_client(t, ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"])
        )
    _assert_refused(h, "server", 40)
    assert h.fatal_alert is not None and h.fatal_alert.name == "handshake_failure"
    assert h.cipher_selected is None and h.version_selected is None


def test_untrusted_server_is_unknown_ca_from_client(tapped, rsa_server: int, pki: Pki) -> None:
    h = tapped(
        rsa_server,
        lambda t: s_client(t, ["-tls1_2", "-verify_return_error", "-CAfile", str(pki.other_ca)]),
    )
    _assert_refused(h, "client", 48)
    # Negative control: the right CA gives no alert.
    ok = tapped(
        rsa_server,
        lambda t: s_client(t, ["-tls1_2", "-verify_return_error", "-CAfile", str(pki.ca)]),
    )
    assert ok.negotiated is True and ok.fatal_alert is None


def test_psk_identity_is_the_one_on_the_wire(tapped, tmp_path: Path) -> None:
    # s_server only warns about an unexpected identity and uses its key anyway; the
    # dissector must report what the client sent, not what the server expected.
    args = ["-nocert", "-psk", PSK_KEY_HEX, "-psk_identity", PSK_IDENTITY, "-cipher", "PSK"]
    with s_server(tmp_path, args) as port:
        h = tapped(
            port,
            lambda t: s_client(
                t, ["-tls1_2", "-cipher", "PSK", "-psk", PSK_KEY_HEX, "-psk_identity", "intruder"]
            ),
        )
    assert h.negotiated is True
    assert h.psk_identity == "intruder"
    assert "client identity not what we expected" in (tmp_path / f"s_server-{port}.log").read_text()


def test_tls13_missing_client_cert_is_certificate_required_when_decrypted(
    tapped, tmp_path: Path, pki: Pki
) -> None:
    args = ["-cert", str(pki.rsa_server), "-Verify", "2", "-CAfile", str(pki.ca)]
    keylog = tmp_path / "keys.log"
    with s_server(tmp_path, args) as port:
        # Send a line so the client waits long enough to read the server's alert.
        h = tapped(
            port,
            lambda t: s_client(t, ["-tls1_3", "-keylogfile", str(keylog)], send=b"x\n"),
            keylog=keylog,
        )
    alert = h.fatal_alert
    assert alert is not None, h.alerts
    assert (alert.sender, alert.description, alert.encrypted) == ("server", 116, False)
    assert h.negotiated is False


@pytest.mark.skipif(STUNNEL is None, reason="needs stunnel")
def test_stunnel_verify_peer_rejects_unpinned_client_with_bad_certificate(
    tapped, tmp_path: Path, pki: Pki
) -> None:
    # verifyPeer pins leaves: the CA-signed client certificate is not pinned.
    service = (
        f"cert = {pki.rsa_server}\nsslVersion = TLSv1.2\nverifyPeer = yes\nCAfile = {pki.ca}\n"
    )
    with stunnel_server(tmp_path, service) as port:
        h = tapped(port, lambda t: s_client(t, ["-cert", str(pki.client)]))
    _assert_refused(h, "server", 42)
    assert h.mutual_tls is True  # the certificate was sent, and refused


@pytest.mark.skipif(STUNNEL is None, reason="needs stunnel")
def test_stunnel_psk_server(tapped, tmp_path: Path) -> None:
    secrets = tmp_path / "psk.txt"
    secrets.write_text(f"{PSK_IDENTITY}:{PSK_KEY_HEX}\n")
    secrets.chmod(0o600)
    service = f"PSKsecrets = {secrets}\nsslVersion = TLSv1.2\nciphers = PSK\n"
    with stunnel_server(tmp_path, service) as port:
        h = tapped(
            port,
            lambda t: s_client(
                t, ["-cipher", "PSK", "-psk", PSK_KEY_HEX, "-psk_identity", PSK_IDENTITY]
            ),
        )
        _assert_negotiated(h, tapped.last_run.cipher_code)
        assert h.psk_identity == PSK_IDENTITY
        bad = tapped(
            port,
            lambda t: s_client(
                t, ["-cipher", "PSK", "-psk", PSK_KEY_HEX, "-psk_identity", "nobody"]
            ),
        )
    _assert_refused(bad, "server", 115)


def test_tls12_session_resumption_is_seen(tapped, rsa_server: int, tmp_path: Path) -> None:
    session = tmp_path / "session.pem"
    first = tapped(rsa_server, lambda t: s_client(t, ["-tls1_2", "-sess_out", str(session)]))
    assert first.resumed is False and first.server_certificates
    again = tapped(rsa_server, lambda t: s_client(t, ["-tls1_2", "-sess_in", str(session)]))
    assert "Reused, TLSv1.2" in tapped.last_run.output
    assert again.negotiated is True and again.resumed is True
    assert again.session_id_offered or again.session_ticket_offered
    assert again.server_certificates == () and again.client_certificates == ()
    assert again.cipher_selected == first.cipher_selected


def test_tls13_external_psk_identity(tapped, tmp_path: Path) -> None:
    args = ["-nocert", "-psk", PSK_KEY_HEX, "-psk_identity", PSK_IDENTITY]
    with s_server(tmp_path, args) as port:
        h = tapped(
            port,
            lambda t: s_client(t, ["-tls1_3", "-psk", PSK_KEY_HEX, "-psk_identity", PSK_IDENTITY]),
        )
    assert h.cipher_selected == tapped.last_run.cipher_code
    assert h.version_selected == 0x0304
    assert h.psk_identities_offered == (PSK_IDENTITY,)
    assert h.psk_identity == PSK_IDENTITY and h.resumed is False
