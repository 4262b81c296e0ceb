"""certify server against ``openssl s_server`` configured right and wrong.

Each defective server must give exit 1 with exactly the check ids its defect
breaks; the compliant one exit 0; a closed port exit 2.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from harness.certify import Credentials, ServerRequest, TrustOptions, certify_server
from harness.checks.model import Verdict
from harness.pki import TestPKI
from harness.profiles import Profile

from .peers import GUIDE_CIPHERS, s_server, server_args, short_key_leaf


def certify(
    port: int, profile: Profile, workdir: Path, *, case: str = "3b", **kw: object
) -> tuple[int, set[str], dict[str, object]]:
    outcome = certify_server(
        ServerRequest("127.0.0.1", port, profile, case=case, **kw),  # type: ignore[arg-type]
        workdir / "out",
    )
    result = outcome.run.results[0]
    failed = {c.id for c in result.checks if c.verdict is Verdict.FAIL}
    by_id = {c.id: c for c in result.checks}
    return outcome.exit_code, failed, by_id


def test_compliant_guide_server_is_compliant(pki: TestPKI, guide: Profile, workdir: Path) -> None:
    with s_server(server_args(pki), workdir / "s.log") as port:
        code, failed, checks = certify(
            port, guide, workdir, trust=TrustOptions(cafile=pki.root_ca_path)
        )
    assert failed == set()
    assert code == 0
    # ECDSA suites against an RSA-only server: not applicable, not missing
    ecdsa = checks["tls.cipher.required.0xC02B"]
    assert ecdsa.verdict is Verdict.NOT_APPLICABLE and "needs ECDSA" in ecdsa.reason  # type: ignore[attr-defined]
    assert checks["tls.cipher.required.0xC030"].observed.startswith("accepted")  # type: ignore[attr-defined]
    assert checks["cert.chain-complete"].verdict is Verdict.PASS  # type: ignore[attr-defined]


def test_server_also_accepting_tls11(pki: TestPKI, guide: Profile, workdir: Path) -> None:
    """TLS 1.1 carries none of the guide's (SHA-256/GCM) suites, so a server that
    really accepts TLS 1.1 also accepts a suite outside the profile: both fail."""
    args = server_args(
        pki, versions=(), ciphers=f"{GUIDE_CIPHERS}:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"
    )
    args += ["-min_protocol", "TLSv1.1", "-max_protocol", "TLSv1.2"]
    with s_server(args, workdir / "s.log") as port:
        code, failed, checks = certify(port, guide, workdir)
    assert (code, failed) == (1, {"tls.version.tls1_1.refused", "tls.cipher.forbidden-accepted"})
    assert "TLSv1.1 accepted" in checks["tls.version.tls1_1.refused"].observed  # type: ignore[attr-defined]
    assert checks["tls.version.tls1.refused"].verdict is Verdict.PASS  # type: ignore[attr-defined]


def test_guide_suites_only_server_with_tls11_enabled_refuses_tls11(
    pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    """Negative control: TLS 1.1 enabled but no suite it can carry: by the wire the
    server refuses TLS 1.1, so nothing fails."""
    args = server_args(pki, versions=(), ciphers=f"{GUIDE_CIPHERS}:@SECLEVEL=0")
    args += ["-min_protocol", "TLSv1.1", "-max_protocol", "TLSv1.2"]
    with s_server(args, workdir / "s.log") as port:
        code, failed, _ = certify(port, guide, workdir)
    assert (code, failed) == (0, set())


def test_server_accepting_a_non_profile_suite(pki: TestPKI, guide: Profile, workdir: Path) -> None:
    args = server_args(pki, ciphers=f"{GUIDE_CIPHERS}:AES128-SHA")
    with s_server(args, workdir / "s.log") as port:
        code, failed, checks = certify(port, guide, workdir)
    assert (code, failed) == (1, {"tls.cipher.forbidden-accepted"})
    assert "0x002F" in checks["tls.cipher.forbidden-accepted"].observed  # type: ignore[attr-defined]


def test_server_lacking_required_suites(pki: TestPKI, guide: Profile, workdir: Path) -> None:
    args = server_args(pki, ciphers="ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256")
    with s_server(args, workdir / "s.log") as port:
        code, failed, _ = certify(port, guide, workdir)
    missing = {"0x0067", "0x009E", "0x006B", "0x009F", "0xC027", "0xC028"}
    assert code == 1
    assert failed == {f"tls.cipher.required.{c}" for c in missing}


@pytest.mark.parametrize(
    ("leaf", "failed_id"),
    [("expired-server", "cert.validity"), ("server-ip2", "cert.san-matches")],
)
def test_server_with_bad_certificate(
    pki: TestPKI, guide: Profile, workdir: Path, leaf: str, failed_id: str
) -> None:
    with s_server(server_args(pki, leaf=leaf), workdir / "s.log") as port:
        code, failed, _ = certify(port, guide, workdir)
    assert (code, failed) == (1, {failed_id})


def test_server_with_short_key(pki: TestPKI, guide: Profile, workdir: Path) -> None:
    crt, key = short_key_leaf(pki, workdir)
    args = server_args(pki, ciphers=f"{GUIDE_CIPHERS}:@SECLEVEL=0")
    args[args.index(pki.server_rsa.cert_path)] = crt
    args[args.index(pki.server_rsa.key_path)] = key
    with s_server(args, workdir / "s.log") as port:
        code, failed, checks = certify(port, guide, workdir)
    # OpenSSL's automatic DH parameters follow the certificate's strength, so this
    # server really offers 1024-bit DHE as well: two defects, both reported.
    assert (code, failed) == (1, {"cert.key-size", "tls.kx.dhe-bits"})
    assert "1024" in checks["cert.key-size"].observed  # type: ignore[attr-defined]
    assert checks["tls.kx.dhe-bits"].observed.startswith("1024 bits")  # type: ignore[attr-defined]


def client_creds(pki: TestPKI) -> Credentials:
    return Credentials(cert=pki.client_rsa.cert_path, key=pki.client_rsa.key_path)


def test_mutual_tls_server_case_1a_compliant(pki: TestPKI, guide: Profile, workdir: Path) -> None:
    args = server_args(pki, mutual_pin=pki.root_ca_path)
    with s_server(args, workdir / "s.log") as port:
        code, failed, checks = certify(
            port, guide, workdir, case="1a", credentials=client_creds(pki),
            trust=TrustOptions(pin=pki.server_rsa.pin_path),
        )  # fmt: skip
    assert (code, failed) == (0, set())
    for kind in ("self-signed", "unrelated-ca", "expired"):
        check = checks[f"auth.client-certificate.{kind}.refused"]
        assert check.verdict is Verdict.PASS  # type: ignore[attr-defined]
        assert "server sent" in check.observed  # type: ignore[attr-defined]  # the alert is named
    assert checks["cert.pin-matches"].verdict is Verdict.PASS  # type: ignore[attr-defined]


def test_server_not_requiring_client_certificate_for_case_1a(
    pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    with s_server(server_args(pki), workdir / "s.log") as port:
        code, failed, _ = certify(port, guide, workdir, case="1a", credentials=client_creds(pki))
    assert (code, failed) == (1, {"auth.client-certificate.required"})


def test_server_verifying_but_not_enforcing_client_certificates(
    pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    """s_server -verify without -verify_return_error asks for a certificate and takes
    anything: every must-refuse certificate is reported as accepted."""
    args = server_args(pki, extra=["-verify", "2", "-CAfile", pki.client_rsa.pin_path])
    with s_server(args, workdir / "s.log") as port:
        code, failed, _ = certify(port, guide, workdir, case="1a", credentials=client_creds(pki))
    assert code == 1
    assert failed == {
        "auth.client-certificate.required",
        "auth.client-certificate.self-signed.refused",
        "auth.client-certificate.unrelated-ca.refused",
        "auth.client-certificate.expired.refused",
    }


def test_wrong_pin_fails(pki: TestPKI, guide: Profile, workdir: Path) -> None:
    with s_server(server_args(pki), workdir / "s.log") as port:
        code, failed, _ = certify(
            port, guide, workdir, trust=TrustOptions(pin=pki.other_server.pin_path)
        )
    assert (code, failed) == (1, {"cert.pin-matches"})


def test_closed_port_is_inconclusive(guide: Profile, workdir: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        code, failed, checks = certify(port, guide, workdir)
    assert code == 2 and failed == set()
    assert checks["connect"].verdict is Verdict.INCONCLUSIVE  # type: ignore[attr-defined]


def test_mutual_case_without_our_certificate_is_inconclusive(
    pki: TestPKI, guide: Profile, workdir: Path
) -> None:
    """Never 'compliant' when a requirement could not be checked."""
    args = server_args(pki, mutual_pin=pki.root_ca_path)
    with s_server(args, workdir / "s.log") as port:
        code, failed, checks = certify(port, guide, workdir, case="1a")
    assert (code, failed) == (2, set())
    assert checks["auth.client-certificate.accepted"].verdict is Verdict.INCONCLUSIVE  # type: ignore[attr-defined]
