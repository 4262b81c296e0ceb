"""Result-model facts derived from a dissected handshake, shared by ``run`` and
``certify``: the negotiated parameters and the certificates each side presented, and
the versions of what ran on this host."""

from __future__ import annotations

import functools
import platform
import shutil
import subprocess

from harness.checks.model import CertificateInfo, CipherInfo, HostFacts, Negotiated
from harness.dissect import Handshake
from harness.tls.registry import group_name


@functools.cache
def host_facts() -> HostFacts:
    """Python, OpenSSL and (when installed) stunnel versions, without product names.
    Asked once per process (``stunnel -version`` is a child process)."""
    import ssl  # here, not at import time: only the report's host facts need it

    stunnel = None
    binary = shutil.which("stunnel") or shutil.which("stunnel4")
    if binary:
        try:
            out = subprocess.run([binary, "-version"], capture_output=True, text=True, timeout=10)
            first = [
                line
                for line in (out.stdout + out.stderr).splitlines()
                if "stunnel" in line and "platform" in line
            ]
            if first:
                stunnel = first[0].split(" on ")[0].strip("[. ]").removeprefix("stunnel ").strip()
        except (OSError, subprocess.TimeoutExpired):
            stunnel = None
    return HostFacts(
        python=platform.python_version(),
        openssl=ssl.OPENSSL_VERSION.removeprefix("OpenSSL ").strip(),
        stunnel=stunnel,
        platform=platform.platform(),
    )


@functools.cache
def openssl_binary_version() -> str | None:
    """``openssl version`` of the openssl command on PATH (the evidence pack names it
    beside the library Python uses); asked once per process."""
    try:
        out = subprocess.run(["openssl", "version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip()


def prefetch_host_facts() -> None:
    """Ask both child processes now (a thread's target while the probes run), so that
    the report and the evidence pack find the answers ready."""
    host_facts()
    openssl_binary_version()


def negotiated_of(h: Handshake | None) -> Negotiated | None:
    if h is None or h.version_selected is None:
        return None
    cipher = None
    if h.cipher_selected is not None:
        s = h.cipher_suite
        cipher = CipherInfo(
            h.cipher_selected, s.iana_name if s else None, s.openssl_name if s else None
        )
    kx = None
    if h.dh_prime_bits:
        kx = f"DHE {h.dh_prime_bits} bits"
    elif h.kx_group is not None:
        kx = group_name(h.kx_group)
    return Negotiated(
        version=h.version_name,
        cipher=cipher,
        key_exchange=kx,
        psk_identity=h.psk_identity,
        resumed=h.resumed,
        client_certificate_requested=h.certificate_request,
    )


def certificates_of(h: Handshake | None) -> tuple[CertificateInfo, ...]:
    out: list[CertificateInfo] = []
    if h is None:
        return ()
    for side, certs in (("server", h.server_certificates), ("client", h.client_certificates)):
        for depth, c in enumerate(certs or ()):
            out.append(
                CertificateInfo(
                    side=side,  # type: ignore[arg-type]
                    subject=c.subject,
                    issuer=c.issuer,
                    serial=c.serial,
                    not_before=c.not_before,
                    not_after=c.not_after,
                    key_type=c.key_type,
                    key_bits=c.key_bits or 0,
                    sha256=c.sha256,
                    san=c.sans,
                    depth=depth,
                )
            )
    return tuple(out)
