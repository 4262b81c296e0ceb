"""The two cases a new user tried (issue 12), as fixtures for rendering tests:

* a certify run against a real local endpoint that also accepts TLS 1.1
  (``openssl s_server`` with the guide's suites plus one TLS 1.0/1.1 suite);
* a rehearsal-like scenario: the shipped checkIP-mismatch control's tunnels, with
  the process options a production stunnel.conf carries (``setuid``, ``pid``,
  ``output``: rewritten for loopback, eight notes) and the expectations of a
  working use case 3b, so the wrong ``checkIP`` is a defect."""

from __future__ import annotations

import re
from pathlib import Path

from harness.certify import ServerRequest, TrustOptions, certify_server
from harness.checks.model import RunResult
from harness.pki import TestPKI
from harness.profiles import load_profile
from tests.certify.peers import GUIDE_CIPHERS, s_server, server_args
from tests.runner.scenario_kit import NEGATIVE


def certify_tls11_endpoint(pki: TestPKI, workdir: Path) -> tuple[RunResult, Path]:
    """certify server, use case 3b (TLS layer), against an endpoint accepting TLS 1.1; returns
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
                scope="tls",  # an s_server has no FIX engine: certify the TLS layer
            ),
            workdir / "out",
        )
    return outcome.run, workdir / "out"


PRODUCTION_GLOBALS = (
    "setuid = nobody\nsetgid = nogroup\npid = /var/run/stunnel.pid\noutput = /var/log/stunnel.log\n"
)


def rehearsal_checkip_wrong() -> str:
    """Scenario text: 3b with a checkIP the server certificate does not carry,
    expected to work (as a user rehearsing their own config would expect)."""
    text = (NEGATIVE / "checkip-mismatch.yaml").read_text()
    head, sep, _ = text.partition("expect:")
    assert sep, "checkip-mismatch.yaml has no expect: block"
    head = head.replace("id: checkip-mismatch", "id: rehearsal-checkip-wrong", 1)
    head = head.replace("tags: [negative]", "tags: [rehearsal]", 1)
    head = re.sub(
        r"(?m)^title: .*$", 'title: "Rehearsal: use case 3b with a wrong checkIP"', head, count=1
    )
    for section in ("[fix-server]", "[fix-client]"):
        head = head.replace(
            f"      {section}", "      " + PRODUCTION_GLOBALS.replace("\n", "\n      ") + section, 1
        )
    return head + (
        "expect:\n  tls: {version: TLSv1.2}\n  auth: server-certificate+fix-credentials\n"
        "  fix: {logon: accepted}\n  messages: 5\n"
    )
