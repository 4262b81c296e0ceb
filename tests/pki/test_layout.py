"""Files, modes, manifest and the ``pki`` command: what a user and stunnel rely on."""

from __future__ import annotations

import ast
import json
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import AuthorityInformationAccessOID

from harness.cli import main
from harness.errors import HarnessError
from harness.pki import LeafName, Status, TestPKI, Usage
from harness.pki.psk import PskSecret, new_key
from harness.stunnelconf import parse_psk_secrets
from harness.stunnelconf.semantics import decode_psk_key

from .conftest import OCSP_URL


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_files_are_0600_and_public_ones_are_not_secret(pki: TestPKI) -> None:
    secrets = [f for f in pki.files if f.secret]
    public = [f for f in pki.files if not f.secret]
    assert secrets and public
    for f in secrets:
        assert mode(pki.directory / f.path) == 0o600, f.path
    for f in public:
        assert mode(pki.directory / f.path) == 0o644, f.path
        # Control: what we call public really holds no private key.
        assert b"PRIVATE KEY" not in (pki.directory / f.path).read_bytes(), f.path
    for leaf in pki.leaves.values():
        assert mode(leaf.key_path) == 0o600
        assert mode(leaf.pem_path) == 0o600
    for p in (pki.psk.path, pki.psk.wrong_key_path, pki.psk.unknown_identity_path):
        assert mode(p) == 0o600


def test_file_shapes_stunnel_reads(pki: TestPKI) -> None:
    leaf = pki.server_rsa
    crt = leaf.cert_path.read_bytes()
    assert crt.count(b"BEGIN CERTIFICATE") == 2  # leaf + intermediate
    assert (
        x509.load_pem_x509_certificates(crt)[1].subject.rfc4514_string() == pki.intermediate.subject
    )
    pem = leaf.pem_path.read_bytes()
    assert pem.count(b"BEGIN CERTIFICATE") == 2 and pem.count(b"BEGIN PRIVATE KEY") == 1
    assert pem.startswith(crt)
    assert leaf.pin_path.read_bytes().count(b"BEGIN CERTIFICATE") == 1
    assert pki.chain_path.read_bytes().count(b"BEGIN CERTIFICATE") == 2
    assert pki.root_ca_path.read_bytes().count(b"BEGIN CERTIFICATE") == 1
    # Self-signed and unrelated-CA leaves have no intermediate to send.
    assert pki.self_signed_client.cert_path.read_bytes().count(b"BEGIN CERTIFICATE") == 1


def test_manifest_names_every_file_and_holds_no_secret(pki: TestPKI) -> None:
    on_disk = {
        p.relative_to(pki.directory).as_posix()
        for p in pki.directory.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    }
    assert on_disk == {f.path for f in pki.files}
    text = pki.manifest_path.read_text()
    assert "PRIVATE KEY" not in text and "BEGIN" not in text
    for secret in parse_psk_secrets(pki.psk.path.read_text()):
        assert secret.key.decode() not in text
    data = json.loads(text)
    assert data["format"] == "fixs-harness-pki/1"
    assert data["leaves"]["revoked-client"]["status"] == "revoked"


def test_load_reads_back_the_same_pki(pki: TestPKI) -> None:
    loaded = TestPKI.load(pki.directory)
    assert loaded == pki
    assert loaded.server_rsa.serial == pki.server_rsa.serial


def test_load_reports_a_broken_manifest(tmp_path: Path, pki: TestPKI) -> None:
    with pytest.raises(HarnessError, match="no PKI manifest"):
        TestPKI.load(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "other"}')
    with pytest.raises(HarnessError, match="invalid PKI manifest"):
        TestPKI.load(tmp_path)
    data = json.loads(pki.manifest_path.read_text())
    data["files"][0]["path"] = "../../etc/passwd"
    (tmp_path / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(HarnessError, match="leaves the PKI directory"):
        TestPKI.load(tmp_path)


def test_subjects_are_distinct_and_shared_keys_only_where_intended(pki: TestPKI) -> None:
    subjects = [leaf.subject for leaf in pki.leaves.values()]
    assert len(set(subjects)) == len(subjects)
    pubkeys: dict[str, set[bytes]] = {}
    for leaf in pki.leaves.values():
        cert = x509.load_pem_x509_certificate(leaf.pin_path.read_bytes())
        spki = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        pubkeys.setdefault(leaf.key_group, set()).add(spki)
    assert all(len(keys) == 1 for keys in pubkeys.values())
    all_keys = [k for keys in pubkeys.values() for k in keys]
    assert len(set(all_keys)) == len(pubkeys)  # different groups, different keys
    for name in ("server-rsa", "server-ecdsa", "client-rsa", "client-ecdsa"):
        group = pki.leaf(name).key_group
        assert [n for n, leaf in pki.leaves.items() if leaf.key_group == group] == [name]


def test_aia_ocsp_url_on_intermediate_leaves_only(pki: TestPKI) -> None:
    def aia(name: str) -> list[str]:
        cert = x509.load_pem_x509_certificate(pki.leaf(name).pin_path.read_bytes())
        try:
            ext = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
        except x509.ExtensionNotFound:
            return []
        return [
            d.access_location.value
            for d in ext.value
            if d.access_method == AuthorityInformationAccessOID.OCSP
        ]

    for leaf in pki.leaves.values():
        want = [OCSP_URL] if leaf.issuer == "intermediate" and leaf.usage is not Usage.OCSP else []
        assert aia(leaf.name) == want, leaf.name
        assert leaf.ocsp_url == (want[0] if want else None)


def test_psk_files(pki: TestPKI) -> None:
    # Read with stunnel's own rules (stunnelconf): a malformed line or a key under
    # 16 bytes would raise here.
    good = parse_psk_secrets(pki.psk.path.read_text())
    wrong = parse_psk_secrets(pki.psk.wrong_key_path.read_text())
    unknown = parse_psk_secrets(pki.psk.unknown_identity_path.read_text())
    assert [s.identity for s in good] == list(pki.psk.identities)
    assert good[0].identity == "clientQA1"
    assert [s.identity for s in wrong] == [s.identity for s in good]
    assert all(w.key != g.key for w, g in zip(wrong, good, strict=True))
    assert [s.identity for s in unknown] == [pki.psk.unknown_identity]
    assert pki.psk.unknown_identity not in pki.psk.identities
    for s in (*good, *wrong, *unknown):
        assert len(s.key) >= 32
        # Not valid hex: stunnel 5.41 and 5.68 must read the same bytes.
        assert not s.hex_decoded
        assert not all(c in "0123456789abcdefABCDEF:" for c in s.key.decode())


def test_new_key_is_never_hex_and_never_shown() -> None:
    for _ in range(50):
        key = new_key()
        assert decode_psk_key(key) == (key.encode(), False)
        secret = PskSecret("clientQA1", key)
        assert secret.line() == f"clientQA1:{key}"
        assert key not in repr(secret)
    # Negative control: a hex-looking key is the one stunnel >= 5.51 decodes.
    assert decode_psk_key("ab" * 20)[1]


def test_ocsp_url_must_be_loopback_http(tmp_path: Path) -> None:
    for bad in (
        "https://127.0.0.1:80",
        "http://192.0.2.1:80",
        "http://127.0.0.1",
        "http://fix.example:80",
    ):
        with pytest.raises(HarnessError):
            TestPKI.create(tmp_path / "x", ocsp_url=bad)
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())


def test_without_ocsp_url_no_aia(tmp_path: Path) -> None:
    pki = TestPKI.create(tmp_path)
    cert = x509.load_pem_x509_certificate(pki.server_rsa.pin_path.read_bytes())
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    assert pki.server_rsa.status is Status.VALID


def test_cli_init_refuses_non_empty_then_force_replaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "pki"
    assert main(["pki", "init", str(target), "--ocsp-port", "18889"]) == 0
    out = capsys.readouterr().out
    assert "server-rsa.pem" in out and "0600" in out and "generated in" in out
    first = TestPKI.load(target)
    assert first.ocsp_url == "http://127.0.0.1:18889"

    # A stale hash entry from an earlier run must not survive --force.
    (target / "capath" / "deadbeef.0").write_text("stale")
    (target / "notes.txt").write_text("mine")
    assert main(["pki", "init", str(target)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert TestPKI.load(target).server_rsa.serial == first.server_rsa.serial  # untouched

    assert main(["pki", "init", str(target), "--force"]) == 0
    second = TestPKI.load(target)
    assert second.server_rsa.serial != first.server_rsa.serial  # fresh keys and certs
    assert second.server_rsa.subject == first.server_rsa.subject  # deterministic names
    assert not (target / "capath" / "deadbeef.0").exists()
    assert (target / "notes.txt").read_text() == "mine"  # not ours: left alone


def test_cli_show_and_errors(
    tmp_path: Path, pki: TestPKI, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pki", "show", str(pki.directory), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert set(shown["leaves"]) == set(pki.leaves)
    assert main(["pki", "show", str(tmp_path)]) == 2
    assert "no PKI manifest" in capsys.readouterr().err
    assert main(["pki", "init", str(tmp_path / "y"), "--ocsp-url", "http://10.0.0.1:80"]) == 2
    assert main(["pki", "init", str(tmp_path / "z"), "--ocsp-port", "70000"]) == 2
    (tmp_path / "file").write_text("x")
    assert main(["pki", "init", str(tmp_path / "file")]) == 2


def test_every_leaf_name_is_made_and_reachable_three_ways(pki: TestPKI) -> None:
    assert list(pki.leaves) == [name.value for name in LeafName]
    for name in LeafName:
        leaf = pki.leaf(name)
        assert leaf is pki.leaf(name.value) is getattr(pki, name.name.lower())
        assert (leaf.name, leaf.status, leaf.usage, leaf.issuer) == (
            name.value,
            name.status,
            name.usage,
            name.issuer,
        )
        assert leaf.cert_path.name == f"{name.value}.crt"
    with pytest.raises(KeyError, match="known: client-ecdsa, client-rsa"):
        pki.leaf("server-dsa")


def test_manifest_is_the_records_both_ways(pki: TestPKI) -> None:
    """One codec: what load() reads back serialises to the very manifest on disk."""
    on_disk = json.loads(pki.manifest_path.read_text())
    assert TestPKI.load(pki.directory).manifest() == on_disk == pki.manifest()
    assert on_disk["leaves"]["server-rsa"]["serial"] == f"{pki.server_rsa.serial:x}"
    assert on_disk["paths"]["ca_chain"] == "ca-chain.pem"


def test_pki_modules_import_only_earlier_ones() -> None:
    """No import cycle: model <- files <- psk <- build <- testpki <- the package."""
    order = ["model", "files", "psk", "build", "testpki"]
    package = Path(TestPKI.__module__.replace(".", "/")).parent
    root = Path(__file__).resolve().parents[2]
    imports: dict[str, set[str]] = {}
    for name in order:
        tree = ast.parse((root / package / f"{name}.py").read_text())
        found: set[str] = set()
        for node in ast.walk(tree):  # function-level imports count too
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("harness.pki"):
                parts = (node.module or "").split(".")
                found |= {parts[2]} if len(parts) > 2 else {a.name for a in node.names}
        imports[name] = found
    assert imports["testpki"] >= {"build", "model"}  # control: the scan sees imports
    for i, name in enumerate(order):
        assert imports[name] <= set(order[:i]), f"{name} imports {imports[name]}"
