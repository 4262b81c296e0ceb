"""claim_report_dir: the secrets earlier versions left in a report directory go with
the previous run's report; a user's own files, and a pack without session keys, stay.
Control: the same files in a directory the harness never wrote into are not touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.runner.rundir import MARKER, claim_report_dir

#: What builds before the private work directory wrote into REPORT_DIR.
STALE = (
    "must-refuse/self-signed.key",
    "must-refuse/expired.key",
    "certify-fix-psk.txt",
    "server.keylog",
    "certify-fix.conf",
    "certify-fix.log",
    "certify-fix-other.conf",
    "certify-fix-other.log",
)
#: A user's own files beside the reports.
USERS = ("notes.txt", "mine/key.pem", "fix.conf", "tunnel.log")


def plant(root: Path, names: tuple[str, ...]) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("-----BEGIN PRIVATE KEY-----\nsecret\n")


def pack(root: Path, keys: bool | None) -> Path:
    """An evidence pack at ``root/evidence``; ``keys`` None: pack.json absent."""
    d = root / "evidence"
    d.mkdir()
    (d / "SHA256SUMS").write_text("")
    (d / "capture.pcapng").write_bytes(b"\x0a\x0d\x0d\x0a")
    if keys is not None:
        doc = {"capture": {"file": "capture.pcapng", "includes_session_keys": keys}}
        (d / "pack.json").write_text(json.dumps(doc))
    return d


@pytest.mark.parametrize("how", ["marker", "report"])
def test_stale_secrets_are_removed_and_users_files_kept(tmp_path: Path, how: str) -> None:
    (tmp_path / (MARKER if how == "marker" else "report.json")).write_text("{}")
    plant(tmp_path, STALE + USERS)
    claim_report_dir(tmp_path)
    left = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    assert left == {MARKER, *USERS}


def test_control_a_directory_never_ours_is_left_alone(tmp_path: Path) -> None:
    plant(tmp_path, STALE + USERS)
    pack(tmp_path, keys=True)
    claim_report_dir(tmp_path)
    for name in STALE + USERS:
        assert (tmp_path / name).is_file(), name
    assert (tmp_path / "evidence" / "capture.pcapng").is_file()


@pytest.mark.parametrize(
    ("keys", "kept"),
    [(True, False), (None, False), (False, True)],
    ids=["with-session-keys", "no-pack-json", "control-without-keys"],
)
def test_evidence_pack_with_session_keys_is_removed(
    tmp_path: Path, keys: bool | None, kept: bool
) -> None:
    (tmp_path / "report.json").write_text("{}")
    d = pack(tmp_path, keys)
    claim_report_dir(tmp_path)
    assert d.is_dir() is kept


def test_malformed_pack_json_counts_as_holding_keys(tmp_path: Path) -> None:
    (tmp_path / MARKER).write_text("")
    d = pack(tmp_path, keys=False)
    (d / "pack.json").write_text("{not json")
    claim_report_dir(tmp_path)
    assert not d.exists()


def test_control_users_evidence_folder_that_is_no_pack_is_kept(tmp_path: Path) -> None:
    (tmp_path / MARKER).write_text("")
    plant(tmp_path, ("evidence/photo.txt",))
    claim_report_dir(tmp_path)
    assert (tmp_path / "evidence" / "photo.txt").is_file()
