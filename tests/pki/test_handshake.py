"""Real TLS handshakes (``openssl s_server`` / ``s_client``) with the generated files.

Each positive handshake has a negative control that differs in one thing only
(trust anchor, key type, client certificate) and must fail.
"""

from __future__ import annotations

import re

from harness.pki import TestPKI

from .tools import s_client, s_server


def negotiated_cipher(out: str) -> str | None:
    m = re.search(r"Cipher is (\S+)", out)
    return m.group(1) if m else None


def test_rsa_server_verifies_against_root(pki: TestPKI) -> None:
    leaf = pki.server_rsa
    args = [
        "-cert",
        leaf.cert_path,
        "-key",
        leaf.key_path,
        "-cert_chain",
        pki.intermediate.cert_path,
    ]
    with s_server([*args, "-naccept", "1"]) as port:
        res = s_client(
            port, "-tls1_2", "-CAfile", pki.root_ca_path, "-verify_hostname", "fix-server.test"
        )
    assert res.returncode == 0, res.stdout
    assert "Verify return code: 0 (ok)" in res.stdout
    assert negotiated_cipher(res.stdout) == "ECDHE-RSA-AES256-GCM-SHA384"


def test_rsa_server_rejected_by_unrelated_trust(pki: TestPKI) -> None:
    leaf = pki.server_rsa
    args = [
        "-cert",
        leaf.cert_path,
        "-key",
        leaf.key_path,
        "-cert_chain",
        pki.intermediate.cert_path,
    ]
    with s_server([*args, "-naccept", "1"]) as port:
        res = s_client(port, "-tls1_2", "-CAfile", pki.other_ca.cert_path)
    assert res.returncode != 0
    assert "unable to get local issuer certificate" in res.stdout


def test_ecdsa_server_negotiates_ecdhe_ecdsa(pki: TestPKI) -> None:
    leaf = pki.server_ecdsa
    with s_server(["-cert", leaf.pem_path, "-key", leaf.pem_path, "-naccept", "1"]) as port:
        res = s_client(
            port,
            "-tls1_2",
            "-cipher",
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
            "-CAfile",
            pki.chain_path,
            "-verify_ip",
            "127.0.0.1",
        )
    assert res.returncode == 0, res.stdout
    assert negotiated_cipher(res.stdout) == "ECDHE-ECDSA-AES128-GCM-SHA256"


def test_rsa_server_cannot_do_ecdhe_ecdsa(pki: TestPKI) -> None:
    # Negative control: the same ECDSA-only offer against the RSA certificate fails,
    # so the positive test above really depends on the ECDSA key.
    leaf = pki.server_rsa
    with s_server(["-cert", leaf.pem_path, "-key", leaf.pem_path, "-naccept", "1"]) as port:
        res = s_client(
            port, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-CAfile", pki.chain_path
        )
    assert res.returncode != 0
    assert negotiated_cipher(res.stdout) in (None, "(NONE)", "0000")
    assert "handshake failure" in res.stdout


def test_mutual_tls_with_client_certificate(pki: TestPKI) -> None:
    server, client = pki.server_ecdsa, pki.client_rsa
    args = ["-cert", server.pem_path, "-key", server.pem_path, "-Verify", "2"]
    args += ["-CAfile", pki.chain_path, "-verify_return_error", "-naccept", "1"]
    with s_server(args) as port:
        res = s_client(
            port,
            "-tls1_2",
            "-CAfile",
            pki.chain_path,
            "-cert",
            client.cert_path,
            "-key",
            client.key_path,
        )
    assert res.returncode == 0, res.stdout
    assert "Verify return code: 0 (ok)" in res.stdout


def test_mutual_tls_rejects_self_signed_client(pki: TestPKI) -> None:
    server, client = pki.server_ecdsa, pki.self_signed_client
    args = ["-cert", server.pem_path, "-key", server.pem_path, "-Verify", "2"]
    args += ["-CAfile", pki.chain_path, "-verify_return_error", "-naccept", "1"]
    with s_server(args) as port:
        res = s_client(
            port,
            "-tls1_2",
            "-CAfile",
            pki.chain_path,
            "-cert",
            client.cert_path,
            "-key",
            client.key_path,
        )
    # The server rejects the client's certificate with an alert the client reports.
    assert res.returncode != 0
    assert "alert unknown ca" in res.stdout
