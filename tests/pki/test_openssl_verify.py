"""The generated material, judged by real OpenSSL (``openssl verify``).

Every leaf is verified against our root with the intermediate as untrusted
chain, and the outcome must match the fate the PKI recorded for it
(:class:`Status`). Each negative outcome has its positive control: the same
certificate verifies once the one thing that is wrong is set right.
"""

from __future__ import annotations

import pytest

from harness.pki import Status, TestPKI

from .tools import openssl

EXPECTED_ERROR = {
    Status.EXPIRED: "certificate has expired",
    Status.NOT_YET_VALID: "certificate is not yet valid",
    Status.UNTRUSTED_CA: "unable to get local issuer certificate",
    Status.SELF_SIGNED: "self-signed certificate",
}

LEAVES = [
    "server-rsa",
    "server-ecdsa",
    "server-ip2",
    "client-rsa",
    "client-ecdsa",
    "other-server",
    "other-client",
    "self-signed-server",
    "self-signed-client",
    "expired-server",
    "expired-client",
    "not-yet-valid-server",
    "not-yet-valid-client",
    "revoked-server",
    "revoked-client",
    "ocsp-responder",
]


def verify(*args: object) -> tuple[bool, str]:
    res = openssl("verify", *map(str, args))
    return res.returncode == 0, res.stdout


def test_every_leaf_is_listed(pki: TestPKI) -> None:
    assert sorted(pki.leaves) == sorted(LEAVES)


@pytest.mark.parametrize("name", LEAVES)
def test_leaf_against_root_matches_its_status(pki: TestPKI, name: str) -> None:
    leaf = pki.leaf(name)
    ok, out = verify(
        "-CAfile", pki.root_ca_path, "-untrusted", pki.intermediate.cert_path, leaf.cert_path
    )
    if leaf.status in (Status.VALID, Status.REVOKED):  # no revocation check asked for
        assert ok, out
    else:
        assert not ok, out
        assert EXPECTED_ERROR[leaf.status] in out


def test_chain_needs_the_intermediate(pki: TestPKI) -> None:
    # Negative control for the whole chain: root alone cannot link the leaf.
    ok, out = verify("-CAfile", pki.root_ca_path, pki.server_rsa.pin_path)
    assert not ok
    assert "unable to get local issuer certificate" in out
    ok, out = verify("-CAfile", pki.chain_path, pki.server_rsa.pin_path)
    assert ok, out


@pytest.mark.parametrize("name", ["revoked-server", "revoked-client"])
def test_revoked_leaf_fails_with_crl_file(pki: TestPKI, name: str) -> None:
    leaf = pki.leaf(name)
    ok, out = verify(
        "-crl_check", "-CRLfile", pki.crl_path, "-CAfile", pki.chain_path, leaf.cert_path
    )
    assert not ok
    assert "certificate revoked" in out


@pytest.mark.parametrize("name", ["server-rsa", "client-ecdsa"])
def test_valid_leaf_passes_full_crl_check(pki: TestPKI, name: str) -> None:
    # Control: the CRLs are well-formed and cover the whole chain (crl_check_all
    # needs the root's CRL too), so only the revoked serials fail.
    leaf = pki.leaf(name)
    ok, out = verify(
        "-crl_check_all", "-CRLfile", pki.crl_path, "-CAfile", pki.chain_path, leaf.cert_path
    )
    assert ok, out


def test_crl_directory_uses_hash_names(pki: TestPKI) -> None:
    names = sorted(p.name for p in pki.crl_dir.iterdir())
    assert names == sorted([f"{pki.intermediate.subject_hash}.r0", f"{pki.root.subject_hash}.r0"])
    # OpenSSL's hash-dir lookup finds the CRLs by issuer hash, as stunnel's CRLpath does.
    ok, out = verify(
        "-crl_check",
        "-CApath",
        pki.crl_dir,
        "-CAfile",
        pki.chain_path,
        pki.revoked_server.cert_path,
    )
    assert not ok
    assert "certificate revoked" in out
    ok, out = verify(
        "-crl_check", "-CApath", pki.crl_dir, "-CAfile", pki.chain_path, pki.server_rsa.cert_path
    )
    assert ok, out


def test_capath_directory(pki: TestPKI, tmp_path: object) -> None:
    hashes = {p.name.split(".")[0] for p in pki.capath_dir.iterdir()}
    assert hashes == {pki.root.subject_hash, pki.intermediate.subject_hash}
    # Our hash agrees with OpenSSL's own.
    res = openssl("x509", "-noout", "-hash", "-in", pki.root_ca_path)
    assert res.stdout.strip() == pki.root.subject_hash
    ok, out = verify("-CApath", pki.capath_dir, pki.server_ecdsa.cert_path)
    assert ok, out
    ok, out = verify("-CApath", pki.capath_dir, pki.other_server.cert_path)
    assert not ok, out


@pytest.mark.parametrize("name", ["other-server", "other-client"])
def test_unrelated_ca_leaf_verifies_against_its_own_ca(pki: TestPKI, name: str) -> None:
    ok, out = verify("-CAfile", pki.other_ca.cert_path, pki.leaf(name).cert_path)
    assert ok, out
    ok, out = verify("-CAfile", pki.chain_path, pki.leaf(name).cert_path)
    assert not ok


@pytest.mark.parametrize(
    "name", ["self-signed-server", "self-signed-client", "server-rsa", "client-rsa"]
)
def test_pin_file_trusts_exactly_that_leaf(pki: TestPKI, name: str) -> None:
    leaf = pki.leaf(name)
    if leaf.status is Status.SELF_SIGNED:
        ok, out = verify("-CAfile", leaf.pin_path, leaf.cert_path)
    else:
        # A CA-issued pin is a partial chain: the leaf itself is the anchor.
        ok, out = verify("-partial_chain", "-CAfile", leaf.pin_path, leaf.pin_path)
    assert ok, out
    other = pki.client_ecdsa if leaf.usage.value == "server" else pki.server_ecdsa
    ok, out = verify("-partial_chain", "-CAfile", leaf.pin_path, other.pin_path)
    assert not ok, out


@pytest.mark.parametrize(
    ("name", "purpose", "ok"),
    [
        ("server-rsa", "sslserver", True),
        ("server-rsa", "sslclient", False),
        ("client-rsa", "sslclient", True),
        ("client-rsa", "sslserver", False),
        ("ocsp-responder", "ocsphelper", True),
        ("ocsp-responder", "sslserver", False),
    ],
)
def test_extended_key_usage_fixes_the_role(pki: TestPKI, name: str, purpose: str, ok: bool) -> None:
    verified, out = verify("-purpose", purpose, "-CAfile", pki.chain_path, pki.leaf(name).cert_path)
    assert verified is ok, out
    if not ok:
        assert "unsuitable certificate purpose" in out


def test_server_names_and_addresses(pki: TestPKI) -> None:
    text = openssl(
        "x509", "-noout", "-ext", "subjectAltName", "-in", pki.server_rsa.pin_path
    ).stdout
    assert "DNS:fix-server.test" in text and "IP Address:127.0.0.1" in text
    assert "127.0.0.2" not in text
    ok, out = verify("-CAfile", pki.chain_path, "-verify_ip", "127.0.0.1", pki.server_rsa.cert_path)
    assert ok, out
    ok, out = verify("-CAfile", pki.chain_path, "-verify_ip", "127.0.0.2", pki.server_rsa.cert_path)
    assert not ok and "IP address mismatch" in out
    ok, out = verify("-CAfile", pki.chain_path, "-verify_ip", "127.0.0.2", pki.server_ip2.cert_path)
    assert ok, out
    ok, out = verify(
        "-CAfile", pki.chain_path, "-verify_hostname", "fix-server.test", pki.server_ecdsa.cert_path
    )
    assert ok, out
    ok, out = verify(
        "-CAfile", pki.chain_path, "-verify_hostname", "fix-server.test", pki.server_ip2.cert_path
    )
    assert not ok and "hostname mismatch" in out


def test_key_types(pki: TestPKI) -> None:
    rsa = openssl("x509", "-noout", "-text", "-in", pki.server_rsa.pin_path).stdout
    assert "Public-Key: (2048 bit)" in rsa and "rsaEncryption" in rsa
    ec = openssl("x509", "-noout", "-text", "-in", pki.server_ecdsa.pin_path).stdout
    assert "id-ecPublicKey" in ec and "prime256v1" in ec
    for leaf in (pki.server_rsa, pki.server_ecdsa, pki.client_rsa, pki.client_ecdsa):
        # The key file belongs to the certificate: the public keys agree.
        cert_pub = openssl("x509", "-noout", "-pubkey", "-in", leaf.cert_path).stdout
        key_pub = openssl("pkey", "-pubout", "-in", leaf.key_path).stdout
        assert cert_pub == key_pub
    assert (
        openssl("x509", "-noout", "-pubkey", "-in", pki.server_rsa.cert_path).stdout
        != openssl("x509", "-noout", "-pubkey", "-in", pki.client_rsa.cert_path).stdout
    )
