"""Certify a counterparty's FIX-over-TLS endpoint, and lint stunnel.conf files.

Theory of operation
-------------------
``certify server`` (:mod:`.server`) treats the counterparty's TLS server as a black
box and asks it questions, one probe connection each (:mod:`.probe`): hand-built
ClientHellos (:mod:`.hello`) for versions, cipher suites, preference order,
compression, certificates and key-exchange sizes (one round trip, no dependence on
what the local OpenSSL would offer); complete OpenSSL handshakes for client
certificates, PSK and resumption. Every probe records its wire bytes, and every
verdict is taken from the dissector's reading of them
(:func:`harness.dissect.dissect_streams`), never from a client library's opinion.
Probes run on a bounded pool (:mod:`.scan`: split into jobs, fold into a
:class:`~.scan.ServerScan`), then :mod:`.policy` freezes the scan and judges the facts against a
profile and a guide use case: requirements become checks with stable ids,
observations become notes, and a probe that could not run is *inconclusive*,
never a pass. :mod:`.result` packages it all as the project's ``RunResult`` so the
``run`` report writers serve certify too; the probes are saved as one pcap.
Each use case of the profile names its *defining checks*; a case is compliant only
when all of them ran and passed (:func:`.rules.apply_defining_checks`; ``--scope
tls`` leaves out the FIX ones, and says so). When no probe got a ServerHello,
:mod:`.diagnose` says what is on the port (HTTP, plaintext FIX, silent, closed,
bytes that are not TLS, an alert to every hello). Every check id certify reports
is a registered unit (:mod:`.catalogue`: a spec from :mod:`.specs`, the one place
naming titles and sections, and a pure judge over the frozen facts of :mod:`.facts`);
judging is the fold of those registries. The
optional FIX Logon probe (:mod:`.fixlogon`) explains a failed Logon from its own
tunnel's log and runs the FIXS CompID-binding and other-identity probes.

``certify client`` (:mod:`.client`) turns it round: the harness serves successive
connections with a valid, a wrong-host, an unrelated-CA and an expired
certificate and reads the client's ClientHello and its refusals off the wire (a
client that stalls is silent, not refusing; a plaintext FIX Logon is a finding).

``lint`` (:mod:`.lint`) reads a stunnel.conf with file:line on every option and
reports what goes against the guide and the profile. ``pin`` (:mod:`.pin`)
downloads a server's certificate chain for ``verifyPeer`` pinning (guide 4.3).

Public API::

    certify_server(ServerRequest(...), workdir) -> ServerOutcome   # .run, .exit_code
    certify_client(ClientRequest(...), workdir, ready=cb) -> ClientOutcome
    lint_text(text, profile, path=...) / lint_file(path, profile) -> list[Finding]
    download_chain(target) -> list[PinnedCert]; write_pin_file(certs, path)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness import lazy

# Names are imported on first use (PEP 562), so that ``import harness.certify.server``
# does not also load the client, lint and pin commands: a command-line run of one
# certify role pays only for what it uses (docs/architecture.md, start-up time).
_LAZY: dict[str, str] = {
    "ClientOutcome": "client",
    "ClientRequest": "client",
    "certify_client": "client",
    "Finding": "lint",
    "Severity": "lint",
    "lint_file": "lint",
    "lint_text": "lint",
    "PinnedCert": "pin",
    "download_chain": "pin",
    "write_pin_file": "pin",
    "TrustOptions": "policy",
    "evaluate": "policy",
    "Credentials": "probe",
    "Target": "probe",
    "ServerOutcome": "server",
    "ServerRequest": "server",
    "certify_server": "server",
    "resolve_target": "server",
}

if TYPE_CHECKING:
    from harness.certify.client import ClientOutcome, ClientRequest, certify_client
    from harness.certify.lint import Finding, Severity, lint_file, lint_text
    from harness.certify.pin import PinnedCert, download_chain, write_pin_file
    from harness.certify.policy import TrustOptions, evaluate
    from harness.certify.probe import Credentials, Target
    from harness.certify.server import (
        ServerOutcome,
        ServerRequest,
        certify_server,
        resolve_target,
    )


def __getattr__(name: str) -> Any:
    return lazy.resolve(__name__, _LAZY, name)


__all__ = [
    "ClientOutcome",
    "ClientRequest",
    "Credentials",
    "Finding",
    "PinnedCert",
    "ServerOutcome",
    "ServerRequest",
    "Severity",
    "Target",
    "TrustOptions",
    "certify_client",
    "certify_server",
    "download_chain",
    "evaluate",
    "lint_file",
    "lint_text",
    "resolve_target",
    "write_pin_file",
]
