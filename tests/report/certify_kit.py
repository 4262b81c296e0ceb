"""A certify run against a real local endpoint that also accepts TLS 1.1 (the case
of issue 12): ``openssl s_server`` with the guide's suites plus one TLS 1.0/1.1
suite, TLS 1.1..1.2; the outcome's report directory is returned."""

from __future__ import annotations

from pathlib import Path

from harness.certify import ServerRequest, TrustOptions, certify_server
from harness.checks.model import RunResult
from harness.pki import TestPKI
from harness.profiles import load_profile
from tests.certify.peers import GUIDE_CIPHERS, s_server, server_args


def certify_tls11_endpoint(pki: TestPKI, workdir: Path) -> tuple[RunResult, Path]:
    """certify server, use case 3b, against an endpoint accepting TLS 1.1; returns
    the run and the directory its pcap went to."""
    args = server_args(
        pki, versions=(), ciphers=f"{GUIDE_CIPHERS}:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"
    )
    args += ["-min_protocol", "TLSv1.1", "-max_protocol", "TLSv1.2"]
    workdir.mkdir(parents=True, exist_ok=True)
    with s_server(args, workdir / "s_server.log") as port:
        outcome = certify_server(
            ServerRequest(
                "127.0.0.1",
                port,
                load_profile("stunnel-guide-2017"),
                case="3b",
                trust=TrustOptions(cafile=pki.root_ca_path),
            ),
            workdir / "out",
        )
    return outcome.run, workdir / "out"
