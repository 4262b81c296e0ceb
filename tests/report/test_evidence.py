"""Evidence packs from real runs, checked with the tools an auditor has.

* ``fixs-harness verify`` accepts an untouched pack, and rejects a changed byte, a
  removed file, an added file, a re-hashed manifest without a new signature, and a
  signature by another key than the one pinned; ``sha256sum -c`` and ``openssl dgst
  -verify`` agree.
* The pack holds no secret: every byte of every file is scanned for the scenarios'
  FIX passwords and RawData, the run's PSK keys, its private keys and the TLS
  session secrets of its key logs. Negative control: the same scan finds the
  session secrets in a pack written with ``--include-keys`` (whose capture is then
  0600 and decrypts in tshark), and finds the password in the unredacted scenario.
* The capture is pcapng with one interface and one link type; comments name each
  item (run) or probe (certify), read back by tshark.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.cli import main as cli_main
from harness.evidence.pack import keylog_secrets
from harness.evidence.pcapng import PcapngWriter
from harness.pki import TestPKI
from harness.runner.rundir import RunDirs
from harness.scenario import load_scenario
from harness.stunnelconf.semantics import parse_psk_secrets
from tests.certify.peers import GUIDE_CIPHERS, s_server, server_args
from tests.report.render_kit import rehearsal_checkip_wrong
from tests.runner.scenario_kit import GUIDE, IN_CI

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = (
    "3a-fix-credentials.yaml",
    "3a-fix-credentials-rawdata.yaml",
    "2-psk.yaml",
    "3a-through-http-connect-proxy.yaml",  # its client.conf holds protocolPassword
)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is not installed; CI=true: it must be", pytrace=False)
        pytest.skip(f"{name} is not installed")
    return path


def harness(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


@dataclass
class InProcess:
    returncode: int
    stdout: str


def harness_in_process(*args: str | Path) -> InProcess:
    """``fixs-harness ARGS`` in this process (so the work-directory snapshot below
    sees the run's private files before they are deleted)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        code = cli_main([str(a) for a in args])
    return InProcess(code, buffer.getvalue())


@contextlib.contextmanager
def snapshot_work_dirs(into: Path) -> Iterator[None]:
    """Copy each run's private work directory (test PKI, key logs) to
    ``into/<report dir name>`` just before the run deletes it: the test needs the
    run's secrets to look for them in the pack. A spy, not a change of behaviour."""
    original = RunDirs.close

    def close(self: RunDirs) -> list[Path]:
        if not self._closed and self.work_dir.exists():
            shutil.copytree(self.work_dir, into / self.report_dir.name, dirs_exist_ok=True)
        return original(self)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(RunDirs, "close", close)
        yield


def tshark_comments(capture: Path) -> list[str]:
    out = subprocess.run(
        [tool("tshark"), "-r", str(capture), "-Y", "frame.comment", "-T", "fields",
         "-e", "frame.comment"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    return [line for line in out.splitlines() if line]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A signing key, its public key, and another key's public key."""
    d = tmp_path_factory.mktemp("keys")
    openssl = tool("openssl")
    for name in ("sign", "other"):
        subprocess.run(
            [openssl, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", str(d / f"{name}.pem")],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
        subprocess.run(
            [openssl, "pkey", "-in", str(d / f"{name}.pem"), "-pubout", "-out", str(d / f"{name}.pub")],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip
    return d / "sign.pem", d / "sign.pub", d / "other.pub"


@pytest.fixture(scope="module")
def run_packs(
    tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path, Path]
) -> tuple[Path, Path, Path, Path]:
    """One run (FIX password, RawData, PSK, a failing rehearsal) → a signed pack,
    and the same scenarios with --include-keys → a second pack."""
    tmp = tmp_path_factory.mktemp("evidence")
    src = tmp / "in"
    src.mkdir()
    for name in SCENARIOS:
        shutil.copy(GUIDE / name, src / name)
    (src / "rehearsal.yaml").write_text(rehearsal_checkip_wrong())
    with snapshot_work_dirs(tmp / "work"):
        proc = harness_in_process("run", src, "--report-dir", tmp / "report", "--evidence",
                                  tmp / "pack", "--sign-key", keys[0])  # fmt: skip
        assert proc.returncode == 1, proc.stdout
        assert "evidence  pack: " in proc.stdout and "signed, no secrets" in proc.stdout
        proc = harness_in_process("run", src, "--report-dir", tmp / "report-keys", "--evidence",
                                  tmp / "pack-keys", "--include-keys")  # fmt: skip
        assert proc.returncode == 1, proc.stdout
    return src, tmp / "report", tmp / "pack", tmp / "pack-keys"


def run_secrets(src: Path, report: Path) -> tuple[list[str], list[str]]:
    """(the run's secrets, the TLS session secrets of its key logs), read from the
    snapshot of the run's private work directory (the report directory holds none)."""
    secrets: list[str] = []
    for path in src.glob("*.yaml"):
        secrets += load_scenario(path).secrets()
    work = report.parent / "work" / report.name
    pki = work / "pki"
    for name in ("psk.txt", "psk-wrong-key.txt", "psk-unknown-identity.txt"):
        text = (pki / name).read_text()
        secrets += [e.key.decode() for e in parse_psk_secrets(text, path=name, hex_keys=False)]
    for key in pki.glob("*.key"):
        body = [ln for ln in key.read_text().splitlines() if ln and not ln.startswith("-----")]
        secrets += body[:3]  # three 64-character lines of each private key
    session = keylog_secrets(p.read_text() for p in work.rglob("*.keylog"))
    assert len(secrets) > 10 and len(session) > 10
    return [s for s in secrets if len(s) >= 8], session


def found(directory: Path, secrets: list[str]) -> list[str]:
    hits = []
    for path in directory.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            hits += [f"{path.name}: #{i}" for i, s in enumerate(secrets) if s.encode() in data]
    return hits


def test_pack_holds_no_secret(run_packs: tuple[Path, Path, Path, Path]) -> None:
    src, report, pack, pack_keys = run_packs
    secrets, session = run_secrets(src, report)
    assert found(pack, secrets + session) == []
    # negative controls: the scan finds the password in the scenario as given, and
    # the session secrets in the pack written with --include-keys (own run's keys)
    assert found(src, secrets)
    _, session_keys = run_secrets(src, pack_keys.parent / "report-keys")
    hits = found(pack_keys, session_keys)
    assert hits and all(h.startswith("capture.pcapng") for h in hits)
    # inputs are there, redacted
    text = (pack / "inputs" / "scenarios" / "3a-fix-credentials.yaml").read_text()
    assert "password: <redacted>" in text
    doc = json.loads((pack / "pack.json").read_text())
    assert doc["capture"]["includes_session_keys"] is False
    # tunnel logs, configs and per-item pcaps sit where report.html links them; no key log
    assert len(list((pack / "reports" / "artifacts").rglob("client.log"))) == 5
    proxy_conf = next((pack / "reports" / "artifacts").rglob("guide-3a-http-connect/*/client.conf"))
    # redacted already in the report directory (the run publishes redacted configs)
    assert "protocolPassword = ***" in proxy_conf.read_text()
    assert list(pack.rglob("*.keylog")) == []


def test_include_keys_pack_is_0600_and_decrypts(run_packs: tuple[Path, Path, Path, Path]) -> None:
    _, _, pack, pack_keys = run_packs
    capture = pack_keys / "capture.pcapng"
    assert stat.S_IMODE(capture.stat().st_mode) == 0o600
    doc = json.loads((pack_keys / "pack.json").read_text())
    assert doc["capture"]["includes_session_keys"] is True
    assert "anyone with this pack can decrypt" in doc["session_keys"]

    def finished(path: Path) -> int:
        out = subprocess.run(
            [tool("tshark"), "-r", str(path), "-Y", "tls.handshake.type == 20"],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
        return len(out.splitlines())

    # Finished is encrypted: tshark shows it only with the pack's decryption secrets
    assert finished(capture) > 0
    assert finished(pack / "capture.pcapng") == 0


def test_capture_is_one_interface_with_item_comments(
    run_packs: tuple[Path, Path, Path, Path],
) -> None:
    _, _, pack, _ = run_packs
    capture = pack / "capture.pcapng"
    info = subprocess.run(
        [tool("capinfos"), str(capture)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "Number of interfaces in file: 1" in info and "Ethernet" in info
    comments = tshark_comments(capture)
    for sid in ("guide-3a", "guide-3a-rawdata", "guide-2", "rehearsal-checkip-wrong"):
        assert any(c.startswith(f"{sid}[python:python] ") for c in comments), (sid, comments)


def test_verify_accepts_untouched_and_rejects_changes(
    run_packs: tuple[Path, Path, Path, Path], keys: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    _, _, pack, _ = run_packs
    _, public, other = keys
    ok = harness("verify", pack, "--key", public)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "intact" in ok.stdout and "signature by the given key" in ok.stdout
    # what an auditor without the harness runs
    subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=pack, check=True, timeout=60)
    subprocess.run(
        [tool("openssl"), "dgst", "-sha256", "-verify", "SHA256SUMS.pub.pem", "-signature",
         "SHA256SUMS.sig", "SHA256SUMS"],
        cwd=pack, check=True, capture_output=True, timeout=60,
    )  # fmt: skip

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(pack, target)
        return target

    changed = copy("changed-byte")
    data = bytearray((changed / "capture.pcapng").read_bytes())
    data[len(data) // 2] ^= 0x01
    (changed / "capture.pcapng").write_bytes(bytes(data))
    removed = copy("removed")
    (removed / "versions.json").unlink()
    added = copy("added")
    (added / "reports" / "extra.txt").write_text("x")
    rehashed = copy("rehashed")  # a consistent manifest, but not the one signed
    sums = (rehashed / "SHA256SUMS").read_text().splitlines()
    (rehashed / "SHA256SUMS").write_text("\n".join(sums[1:]) + "\n")
    (rehashed / sums[0].split("  ", 1)[1]).unlink()
    cases = {
        changed: "capture.pcapng: SHA-256 differs",
        removed: "versions.json: missing",
        added: "reports/extra.txt: not listed",
        rehashed: "signature does not match",
    }
    for directory, problem in cases.items():
        proc = harness("verify", directory)
        assert proc.returncode == 1, (directory.name, proc.stdout)
        assert problem in proc.stdout and "CHANGED" in proc.stdout, proc.stdout
    wrong_signer = harness("verify", pack, "--key", other)
    assert wrong_signer.returncode == 1 and "signature does not match" in wrong_signer.stdout
    not_a_pack = harness("verify", tmp_path)
    assert not_a_pack.returncode == 2 and "not an evidence pack" in not_a_pack.stderr


def test_pcapng_writer_read_back_by_tshark(tmp_path: Path) -> None:
    """The writer alone: comments and a decryption-secrets block as tshark reads them."""
    path = tmp_path / "t.pcapng"
    frame = bytes(14) + bytes([0x45]) + bytes(19)  # Ethernet + an IPv4 header of zeros
    with path.open("wb") as fh:
        w = PcapngWriter(fh, 1, application="test")
        w.decryption_secrets(b"CLIENT_RANDOM " + b"00" * 32 + b" " + b"11" * 48 + b"\n")
        w.packet(1.5, frame, "first, with a comment")
        w.packet(1.75, frame + b"\x01")  # odd length: padded
    assert tshark_comments(path) == ["first, with a comment"]
    info = subprocess.run(
        [tool("capinfos"), str(path)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "Number of packets:   2" in info and "Number of interfaces in file: 1" in info


def test_certify_writes_a_pack_by_default(tmp_path: Path) -> None:
    pki = TestPKI.create(tmp_path / "pki")
    args = server_args(
        pki, versions=(), ciphers=f"{GUIDE_CIPHERS}:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"
    )
    args += ["-min_protocol", "TLSv1.1", "-max_protocol", "TLSv1.2"]
    with s_server(args, tmp_path / "s.log") as port:
        proc = harness(
            "certify", "server", f"127.0.0.1:{port}", "--case", "3b", "--cafile",
            pki.root_ca_path, "--report-dir", tmp_path / "report", "--sender", "CLIENT1",
            "--target", "SERVER1", "--password", "Certify-Pa55word-9", "--timeout", "3",
        )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    pack = tmp_path / "report" / "evidence"
    assert "evidence  pack: " in proc.stdout and "unsigned, no secrets" in proc.stdout
    assert harness("verify", pack).returncode == 0
    assert found(pack, ["Certify-Pa55word-9"]) == []
    request = json.loads((pack / "inputs" / "certify-request.json").read_text())
    assert request["password"] == "<redacted>" and request["case"] == "3b"
    comments = tshark_comments(pack / "capture.pcapng")
    assert any(c.endswith(": probe version TLSv1.1") for c in comments), comments
    report = json.loads((pack / "reports" / "report.json").read_text())
    assert report["summary"]["checks"]["failed"] >= 2


_RUN = ("run", str(GUIDE / "1a-mutual-leaf-pinning.yaml"))
_CERTIFY = ("certify", "server", "127.0.0.1:9", "--profile", "stunnel-guide-2017", "--case", "2")


@pytest.mark.parametrize(
    ("command", "where"),
    [
        (_RUN, "report/evidence"),
        (_RUN, "report"),
        (_CERTIFY, "report/evidence"),
        (_CERTIFY, "report"),
        (_CERTIFY, None),  # certify's default pack: REPORT_DIR/evidence
    ],
    ids=["run-sub", "run-same", "certify-sub", "certify-same", "certify-default"],
)
def test_session_keys_never_go_under_the_report_directory(
    tmp_path: Path, command: tuple[str, ...], where: str | None
) -> None:
    """--include-keys with a pack inside the shareable report directory (or, for
    certify, its default REPORT_DIR/evidence) is refused before anything runs."""
    flags: list[str | Path] = ["--report-dir", tmp_path / "report", "--include-keys"]
    if where is not None:
        flags += ["--evidence", tmp_path / where]
    proc = harness_in_process(*command, *flags)
    assert proc.returncode == 2, proc.stdout
    assert "must not be under the report directory" in proc.stdout
    assert not (tmp_path / "report" / "evidence").exists()


def test_session_keys_outside_the_report_directory_pass_the_flag_check(tmp_path: Path) -> None:
    """The negative control: the same flags with the pack beside the report directory
    are accepted (certify then stops on the closed loopback port, not on the flags)."""
    proc = harness_in_process(
        "certify", "server", "127.0.0.1:9", "--profile", "stunnel-guide-2017", "--case", "2",
        "--report-dir", tmp_path / "report", "--evidence", tmp_path / "pack", "--include-keys",
        "--scope", "tls", "--timeout", "1",
    )  # fmt: skip
    assert "must not be under the report directory" not in proc.stdout
    assert proc.returncode == 2, proc.stdout  # inconclusive: nothing listens on port 9
