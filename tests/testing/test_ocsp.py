"""The OCSP responder, asked by the real ``openssl ocsp`` client."""

from __future__ import annotations

import base64
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from harness.errors import HarnessError
from harness.pki import Leaf, TestPKI
from harness.testing import free_loopback_port
from harness.testing.ocsp import OcspResponder


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    port = free_loopback_port()
    return TestPKI.create(tmp_path_factory.mktemp("pki"), ocsp_url=f"http://127.0.0.1:{port}")


@pytest.fixture()
def responder(pki: TestPKI) -> object:
    with OcspResponder(pki) as r:
        yield r


def ask(url: str, issuer: Path, cert: Path, trust: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "openssl",
            "ocsp",
            "-issuer",
            str(issuer),
            "-cert",
            str(cert),
            "-url",
            url,
            "-CAfile",
            str(trust),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def status_line(res: subprocess.CompletedProcess[str], leaf: Leaf) -> str:
    for line in res.stdout.splitlines():
        if line.startswith(f"{leaf.pin_path}:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(res.stdout + res.stderr)


def test_listens_on_the_aia_port(pki: TestPKI, responder: OcspResponder) -> None:
    assert responder.url == pki.ocsp_url


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("server-rsa", "good"),
        ("client-ecdsa", "good"),
        ("revoked-server", "revoked"),
        ("revoked-client", "revoked"),
    ],
)
def test_openssl_client_gets_the_index_status(
    pki: TestPKI, responder: OcspResponder, name: str, expected: str
) -> None:
    leaf = pki.leaf(name)
    res = ask(responder.url, pki.intermediate.cert_path, leaf.pin_path, pki.chain_path)
    assert res.returncode == 0, res.stderr
    assert status_line(res, leaf) == expected
    assert "Response verify OK" in res.stdout + res.stderr
    (exchange,) = responder.exchanges
    assert exchange.serials == (leaf.serial,)
    assert exchange.cert_statuses == (expected,)
    assert exchange.issuer == "intermediate"


def test_intermediate_status_is_answered_by_the_root(
    pki: TestPKI, responder: OcspResponder
) -> None:
    res = ask(responder.url, pki.root_ca_path, pki.intermediate.cert_path, pki.root_ca_path)
    assert "intermediate.pem: good" in res.stdout, res.stdout + res.stderr
    assert "Response verify OK" in res.stdout + res.stderr
    assert responder.exchanges[0].issuer == "root"


def test_foreign_certificate_is_unknown(pki: TestPKI, responder: OcspResponder) -> None:
    # Negative control: a certificate the PKI did not issue gets no "good".
    leaf = pki.other_server
    res = ask(responder.url, pki.other_ca.cert_path, leaf.pin_path, pki.chain_path)
    assert status_line(res, leaf) == "unknown"


def test_response_does_not_verify_against_unrelated_trust(
    pki: TestPKI, responder: OcspResponder
) -> None:
    # Negative control: the answer is signed by our responder, not by just anyone.
    res = ask(
        responder.url, pki.intermediate.cert_path, pki.server_rsa.pin_path, pki.other_ca.cert_path
    )
    assert "Response Verify Failure" in res.stdout + res.stderr
    assert "Response verify OK" not in res.stdout + res.stderr


def test_get_request_and_malformed_request(pki: TestPKI, responder: OcspResponder) -> None:
    cert = x509.load_pem_x509_certificate(pki.server_rsa.pin_path.read_bytes())
    issuer = x509.load_pem_x509_certificate(pki.intermediate.cert_path.read_bytes())
    req = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
    b64 = base64.b64encode(req.public_bytes(serialization.Encoding.DER)).decode()
    with urllib.request.urlopen(
        f"{responder.url}/{urllib.request.quote(b64, safe='')}", timeout=10
    ) as r:
        resp = ocsp.load_der_ocsp_response(r.read())
    assert resp.certificate_status is ocsp.OCSPCertStatus.GOOD
    bad = urllib.request.Request(responder.url, data=b"not der", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(bad, timeout=10)
    exc.value.close()
    assert [e.http_status for e in responder.exchanges] == [200, 400]


def test_stops_listening(pki: TestPKI) -> None:
    with OcspResponder(pki, port=0) as r:
        host, port = r.address
        socket.create_connection((host, port), timeout=5).close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=5)


def test_busy_port_is_a_clear_error(pki: TestPKI) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        with pytest.raises(HarnessError, match="cannot bind"):
            OcspResponder(pki, port=port).start()
