"""The guide's use cases on real stunnel 5.56, 5.68 and 5.74, and where they differ.

Each use case of the guide (§3.2–3.4: 1a/1b mutual certificates with leaf pinning
or chain verification, 2 PSK, 3a/3b server certificate only) runs stunnel↔stunnel
with the guide's own option lines (addresses and paths rewritten to loopback and
generated files), on every version with itself and oldest↔newest both ways.
Each has a negative control that must carry nothing.

The second half pins the version differences found on these images as explicit
expectations (docs/docker.md lists them with the test that shows each).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import trustme
from stunnel_docker_kit import run_stunnel_pair

pytestmark = pytest.mark.docker

#: The guide's cipher list for certificate use cases (§3.2.1, joined into one line).
GUIDE_CIPHERS = (
    "DHE-RSA-AES128-SHA256:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA256:"
    "DHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA256:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
)
#: A key that looks like hex: binary (16 bytes) from stunnel 5.51 on, ASCII before.
PSK_KEY = "0123456789abcdef0123456789abcdef"

PAIRS = [
    ("bullseye", "bullseye"),
    ("bookworm", "bookworm"),
    ("trixie", "trixie"),
    ("bullseye", "trixie"),
    ("trixie", "bullseye"),
]


@pytest.fixture(scope="module")
def guide_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RSA PKI as in the guide: one CA, server leaf (IP SAN 127.0.0.1), client leaf."""
    d = tmp_path_factory.mktemp("guide")
    ca = trustme.CA(key_type=trustme.KeyType.RSA)
    other_ca = trustme.CA(key_type=trustme.KeyType.RSA)
    server = ca.issue_cert("127.0.0.1", key_type=trustme.KeyType.RSA)
    client = ca.issue_cert("fix-client.example", key_type=trustme.KeyType.RSA)
    server.private_key_and_cert_chain_pem.write_to_path(str(d / "server.pem"))
    client.private_key_and_cert_chain_pem.write_to_path(str(d / "client.pem"))
    server.cert_chain_pems[0].write_to_path(str(d / "server-leaf.pem"))
    client.cert_chain_pems[0].write_to_path(str(d / "client-leaf.pem"))
    ca.cert_pem.write_to_path(str(d / "ca.pem"))
    other_ca.cert_pem.write_to_path(str(d / "other-ca.pem"))
    for name, key in (("psk.txt", PSK_KEY), ("psk-wrong.txt", "f" * 32)):
        (d / name).write_text(f"clientQA1:{key}\n")
    for path in d.iterdir():
        os.chmod(path, 0o600 if path.name.endswith(("pem", "txt")) else 0o644)
    return d


def server_options(case: str, d: Path) -> str:
    if case in ("1a", "1b"):  # §3.2.1
        return (
            f"cert = {d}/server.pem\nverifyPeer = yes\nCAfile = {d}/client-leaf.pem\n"
            f"ciphers = {GUIDE_CIPHERS}\nsslVersion = TLSv1.2\n"
        )
    if case == "2":  # §3.3.1
        return (
            f"PSKsecrets = {d}/psk.txt\nciphers = PSK-AES256-CBC-SHA:PSK-AES128-CBC-SHA\n"
            "sslVersion = TLSv1.2\nrequireCert = no\n"
        )
    # §3.4.1
    return (
        f"cert = {d}/server.pem\nciphers = {GUIDE_CIPHERS}\nsslVersion = TLSv1.2\n"
        "requireCert = no\n"
    )


def client_options(case: str, d: Path, *, wrong: bool = False) -> str:
    """The guide's client section body; ``wrong`` swaps in what must be refused."""
    if case == "1a":  # §3.2.2, pins the server leaf
        pin = "client-leaf.pem" if wrong else "server-leaf.pem"
        return f"ciphers = {GUIDE_CIPHERS}\ncert = {d}/client.pem\nverifyPeer = yes\nCAfile = {d}/{pin}\n"
    if case == "1b":  # §3.2.2, verifies the server's chain
        ca = "other-ca.pem" if wrong else "ca.pem"
        return f"ciphers = {GUIDE_CIPHERS}\ncert = {d}/client.pem\nverifyChain = yes\nCAfile = {d}/{ca}\n"
    if case == "2":  # §3.3.2
        psk = "psk-wrong.txt" if wrong else "psk.txt"
        return (
            f"ciphers = PSK-AES128-CBC-SHA:PSK-AES256-CBC-SHA\nPSKsecrets = {d}/{psk}\n"
            "PSKidentity = clientQA1\nsslVersion = TLSv1.2\nrequireCert = no\n"
        )
    if case == "3a":  # §3.4.2, pins the server leaf
        pin = "client-leaf.pem" if wrong else "server-leaf.pem"
        return f"ciphers = {GUIDE_CIPHERS}\nverifyPeer = yes\nCAfile = {d}/{pin}\n"
    # 3b: §3.4.2, chain + checkIP (the guide's 192.168.153.32 rewritten to loopback)
    ip = "127.0.0.2" if wrong else "127.0.0.1"
    return f"ciphers = {GUIDE_CIPHERS}\nverifyChain = yes\nCAfile = {d}/ca.pem\ncheckIP = {ip}\n"


CASES = ["1a", "1b", "2", "3a", "3b"]
EXPECTED_SUITE = {"1a": "DHE-RSA-AES128-SHA256", "2": "PSK-AES128-CBC-SHA"}
#: What the refusing client logs in each negative control (all three versions agree).
CLIENT_REFUSAL = {
    "1a": "CERT: Certificate not found in local repository",
    "1b": "CERT: Pre-verification error: unable to get local issuer certificate",
    "2": "alert bad record mac",
    "3a": "CERT: Certificate not found in local repository",
    "3b": "CERT: Subject checks failed",
}
#: What the server logs: the alert it received (or, for PSK, its own MAC failure).
#: OpenSSL 3.5 (5.74) words alerts differently: "ssl/tls alert bad certificate:
#: SSL alert number 42" where 1.1.1 and 3.0 say "sslv3 alert bad certificate".
SERVER_REFUSAL = {
    "1a": ("sslv3 alert bad certificate", "ssl/tls alert bad certificate: SSL alert number 42"),
    "1b": ("tlsv1 alert unknown ca", "tlsv1 alert unknown ca: SSL alert number 48"),
    "2": ("decryption failed or bad record mac",) * 2,
    "3a": ("sslv3 alert bad certificate", "ssl/tls alert bad certificate: SSL alert number 42"),
    "3b": ("tlsv1 alert internal error", "tlsv1 alert internal error: SSL alert number 80"),
}


@pytest.mark.parametrize(("server_suite", "client_suite"), PAIRS)
@pytest.mark.parametrize("case", CASES)
def test_guide_use_case(
    docker_client: Any,
    stunnel_images: Any,
    run_id: str,
    guide_dir: Path,
    case: str,
    server_suite: str,
    client_suite: str,
) -> None:
    outcome = run_stunnel_pair(
        docker_client,
        run_id,
        guide_dir,
        server_suite=server_suite,
        client_suite=client_suite,
        server_options=server_options(case, guide_dir),
        client_options=client_options(case, guide_dir),
    )
    assert outcome.payload_ok, outcome.client_log[-2000:]
    suite = EXPECTED_SUITE.get(case, EXPECTED_SUITE["1a"])
    # The server's preference order is the guide's: DHE-RSA-AES128-SHA256 first.
    assert outcome.server_negotiated == ("TLSv1.2", suite)
    assert outcome.client_negotiated == ("TLSv1.2", suite)


@pytest.mark.parametrize("suite", ["bullseye", "bookworm", "trixie"])
@pytest.mark.parametrize("case", CASES)
def test_guide_use_case_negative_control(
    docker_client: Any, stunnel_images: Any, run_id: str, guide_dir: Path, case: str, suite: str
) -> None:
    outcome = run_stunnel_pair(
        docker_client,
        run_id,
        guide_dir,
        server_suite=suite,
        client_suite=suite,
        server_options=server_options(case, guide_dir),
        client_options=client_options(case, guide_dir, wrong=True),
    )
    assert not outcome.payload_ok
    assert CLIENT_REFUSAL[case] in outcome.client_log
    before_35, from_35 = SERVER_REFUSAL[case]
    assert (from_35 if suite == "trixie" else before_35) in outcome.server_log
    if case != "2":  # only OpenSSL 3.5 appends the alert's number
        assert ("SSL alert number" in outcome.server_log) is (suite == "trixie")


# -- version differences -------------------------------------------------------------


@pytest.mark.parametrize(
    ("suite", "works", "error"),
    [
        ("bullseye", True, ""),
        ("bookworm", False, "no suitable signature algorithm"),
        ("trixie", False, "no protocols available"),
    ],
)
def test_tls10_only_on_556(
    docker_client: Any,
    stunnel_images: Any,
    run_id: str,
    guide_dir: Path,
    suite: str,
    works: bool,
    error: str,
) -> None:
    """TLS 1.0 with an RSA certificate: 5.56/1.1.1 negotiates it; 5.68 (security
    level raised to 2) finds no signature algorithm; 5.74/3.5 has no protocol left."""
    outcome = run_stunnel_pair(
        docker_client,
        run_id,
        guide_dir,
        server_suite=suite,
        client_suite=suite,
        server_options=f"cert = {guide_dir}/server.pem\nsslVersion = TLSv1\n",
        client_options="sslVersion = TLSv1\n",
    )
    assert outcome.payload_ok is works
    if works:
        assert outcome.server_negotiated == ("TLSv1", "ECDHE-RSA-AES256-SHA")
    else:
        assert error in outcome.server_log


@pytest.mark.parametrize("suite", ["bullseye", "bookworm", "trixie"])
def test_no_version_cap_means_tls13_and_ciphers_ignored(
    docker_client: Any, stunnel_images: Any, run_id: str, guide_dir: Path, suite: str
) -> None:
    """Client sections without sslVersion (as in the guide) land on TLS 1.3 with a
    server that does not cap the version either; `ciphers` does not apply to 1.3."""
    outcome = run_stunnel_pair(
        docker_client,
        run_id,
        guide_dir,
        server_suite=suite,
        client_suite=suite,
        server_options=f"cert = {guide_dir}/server.pem\nciphers = {GUIDE_CIPHERS}\n",
        client_options=f"ciphers = {GUIDE_CIPHERS}\n",
    )
    assert outcome.payload_ok
    assert outcome.server_negotiated == ("TLSv1.3", "TLS_AES_256_GCM_SHA384")


@pytest.mark.parametrize("suite", ["bullseye", "bookworm", "trixie"])
def test_hex_looking_psk_key_is_binary(
    docker_client: Any, stunnel_images: Any, run_id: str, guide_dir: Path, suite: str
) -> None:
    """All three decode a hex-looking key to 16 bytes (5.51+); a 5.41–5.50 peer
    would use the 32 ASCII characters and fail. Shown with openssl s_client, which
    takes the key in hex: the binary reading works, the ASCII reading does not."""
    from harness.backends.docker_images import image_tag
    from harness.backends.docker_launcher import StunnelContainer

    conf = "[fix-server]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n" + server_options(
        "2", guide_dir
    )
    with StunnelContainer(
        image_tag(suite), conf, guide_dir, run_id=run_id, name="server", client=docker_client
    ) as server:
        port = server.bound["fix-server"][1]

        def handshake_ok(hex_key: str) -> bool:
            command = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2"]
            command += ["-cipher", "PSK-AES128-CBC-SHA", "-psk_identity", "clientQA1"]
            command += ["-psk", hex_key, "-brief", "-no_ign_eof"]
            proc = subprocess.run(
                command,
                input=b"",
                capture_output=True,
                timeout=30,
            )
            return b"CONNECTION ESTABLISHED" in proc.stderr

        assert handshake_ok(PSK_KEY)
        assert not handshake_ok(PSK_KEY.encode().hex())  # the 5.41–5.50 reading
    assert 'PSKsecrets line 1: 16-byte hexadecimal key configured for identity "clientQA1"' in (
        server.logs()
    )


@pytest.mark.parametrize(
    ("suite", "accepted_line"),
    [
        ("bullseye", "TLS accepted: new session negotiated"),
        ("bookworm", "TLS accepted: new session negotiated"),
        ("trixie", "TLS accepted: PSK"),
    ],
)
def test_psk_accept_log_line_differs_on_574(
    docker_client: Any,
    stunnel_images: Any,
    run_id: str,
    guide_dir: Path,
    suite: str,
    accepted_line: str,
) -> None:
    """A log parser must know both forms of the server's PSK accept line."""
    outcome = run_stunnel_pair(
        docker_client,
        run_id,
        guide_dir,
        server_suite=suite,
        client_suite=suite,
        server_options=server_options("2", guide_dir),
        client_options=client_options("2", guide_dir),
    )
    assert outcome.payload_ok
    assert accepted_line in outcome.server_log
    other = {"TLS accepted: new session negotiated", "TLS accepted: PSK"} - {accepted_line}
    assert other.pop() not in outcome.server_log


@pytest.mark.parametrize("suite", ["bullseye", "bookworm", "trixie"])
def test_ocsp_stapling_warning_only_on_574_client(
    docker_client: Any, stunnel_images: Any, run_id: str, guide_dir: Path, suite: str
) -> None:
    """5.71+ clients with verifyChain ask for a stapled OCSP response and warn when
    none comes; the connection still succeeds (1b/3b, no OCSP configured)."""
    outcome = run_stunnel_pair(
        docker_client,
        run_id,
        guide_dir,
        server_suite="bookworm",
        client_suite=suite,
        server_options=server_options("3b", guide_dir),
        client_options=client_options("3b", guide_dir),
    )
    assert outcome.payload_ok
    warned = "OCSP: No OCSP stapling response received" in outcome.client_log
    assert warned is (suite == "trixie")


@pytest.mark.parametrize("suite", ["bullseye", "bookworm", "trixie"])
def test_security_level_option_needs_557(
    docker_client: Any, stunnel_images: Any, run_id: str, guide_dir: Path, suite: str
) -> None:
    from harness.backends.docker_images import image_tag
    from harness.backends.docker_launcher import StunnelContainer, StunnelStartError

    conf = (
        "[fix-server]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n"
        f"cert = {guide_dir}/server.pem\nsecurityLevel = 1\n"
    )
    tunnel = StunnelContainer(
        image_tag(suite), conf, guide_dir, run_id=run_id, name="server", client=docker_client
    )
    if suite == "bullseye":
        with pytest.raises(StunnelStartError, match="Specified option name is not valid here"):
            tunnel.start()
    else:
        with tunnel:
            assert "fix-server" in tunnel.bound
