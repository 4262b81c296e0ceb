"""Where a run writes: a public report directory and a private work directory.

Theory of operation
-------------------
A report directory may be attached to a CI job or mailed to a counterparty, so
nothing in it may hold a secret or let one be derived. A run therefore has two
directories:

* the **report directory** (``--report-dir``): reports, and ``artifacts/`` with
  pcaps, tunnel logs and *redacted* copies of the tunnel configs
  (:func:`publish_item_files`);
* a **work directory**, private (mode 0700, created by :func:`tempfile.mkdtemp`
  outside the report directory): the run's test PKI (private keys, PSK secrets),
  the configs the tunnels really run (proxy passwords), the Docker mounts (copies
  of keys) and the TLS key logs the dissector reads. It is deleted when the run
  ends. With ``keep_keys`` the key logs are kept there (mode 0600) and everything
  else is deleted; the report names the kept files.

A run never leaves a previous run's report looking current: :func:`claim_report_dir`
removes the previous run's report files and ``artifacts/`` (and the ``pki/`` of
older versions, which held private keys) *before* anything else happens, so a run
that is interrupted, or killed outright, leaves either its own report (marked
interrupted) or none. Only names the harness writes are removed, and ``artifacts/``
only where a harness marker or report says the directory is the harness's.

Earlier versions wrote secrets into the report directory; where the directory is the
harness's, the claim removes them too (:data:`STALE_SECRET_DIRS`,
:data:`STALE_SECRET_GLOBS`): ``must-refuse/`` (certify's generated client keys),
``certify-fix-psk.txt`` (the FIX probe's PSK secret), top-level ``*.keylog`` files
(TLS session keys), and the FIX probe tunnels' ``certify-fix*.conf``/``.log`` (a
run publishes fresh, redacted ones). An ``evidence/`` pack is kept to be replaced
when the new pack is written (it is signed and dated, and a run may write none),
*unless* it holds TLS session keys (an old ``--include-keys`` pack, now refused under
the report directory): its ``pack.json`` saying ``includes_session_keys: true``, or
no readable ``pack.json`` to say otherwise, removes it. A user's other files stay.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError

#: Files a run writes at the top of the report directory (harness.report.FORMATS).
REPORT_FILES: tuple[str, ...] = ("report.json", "junit.xml", "report.html", "summary.md")
#: Marks a directory the harness has written a run into.
MARKER = ".fixs-harness-report"
#: Directories with secrets that earlier versions wrote into the report directory.
STALE_SECRET_DIRS: tuple[str, ...] = ("must-refuse",)
#: Top-level files with secrets (or possibly unredacted copies) from earlier runs.
STALE_SECRET_GLOBS: tuple[str, ...] = (
    "certify-fix-psk.txt",
    "*.keylog",
    "certify-fix*.conf",
    "certify-fix*.log",
)
#: The default evidence pack directory (``REPORT_DIR/evidence``).
EVIDENCE_DIR = "evidence"
#: Written by :func:`publish_item_files` in place of a secret.
REDACTED = "***"

#: stunnel options whose value is itself a secret (not a path to one).
SECRET_OPTIONS: tuple[str, ...] = ("protocolPassword",)
_SECRET_OPTION_RE = re.compile(
    r"^(?P<head>\s*(?:" + "|".join(SECRET_OPTIONS) + r")\s*=\s*).*$", re.IGNORECASE | re.MULTILINE
)


def claim_report_dir(report_dir: Path) -> None:
    """Remove the previous run's report from ``report_dir`` (see the module doc) and
    mark the directory as the harness's.

    Raises:
        HarnessError: the directory cannot be created or cleared.
    """
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        ours = (report_dir / MARKER).exists() or any(
            (report_dir / name).exists() for name in REPORT_FILES
        )
        for name in REPORT_FILES:
            with contextlib.suppress(FileNotFoundError):
                (report_dir / name).unlink()
        for stale in report_dir.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                stale.unlink()
        if ours:
            for name in ("artifacts", "pki", *STALE_SECRET_DIRS):
                target = report_dir / name
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
            for pattern in STALE_SECRET_GLOBS:
                for path in report_dir.glob(pattern):
                    if path.is_file() or path.is_symlink():
                        path.unlink()
            evidence = report_dir / EVIDENCE_DIR
            if evidence.is_dir() and not evidence.is_symlink() and _pack_has_keys(evidence):
                shutil.rmtree(evidence)
        (report_dir / MARKER).write_text(
            "fixs-harness writes runs here; a run removes the previous run's reports,\n"
            "artifacts/, pki/ and any secret an earlier version left here before it starts.\n",
            encoding="utf-8",
        )
    except OSError as exc:
        raise HarnessError(f"cannot prepare the report directory {report_dir}: {exc}") from None


def _pack_has_keys(directory: Path) -> bool:
    """Whether the evidence pack in ``directory`` may hold TLS session keys: its
    pack.json says so, or there is no readable pack.json to say it does not.
    A directory that is no pack at all (no ``SHA256SUMS``, no ``pack.json``) is the
    user's and is never judged to be ours."""
    manifest = directory / "pack.json"
    if not manifest.exists():
        return (directory / "SHA256SUMS").exists()
    try:
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        return doc["capture"]["includes_session_keys"] is not False
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return True


@dataclass
class RunDirs:
    """The two directories of one run (see the module doc)."""

    report_dir: Path
    work_dir: Path
    keep_keys: bool = False
    kept_keys: list[Path] = field(default_factory=list)
    _closed: bool = False

    @classmethod
    def create(cls, report_dir: Path, *, keep_keys: bool = False) -> RunDirs:
        claim_report_dir(report_dir)
        (report_dir / "artifacts").mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f"fixs-harness-work-{os.getpid()}-"))  # mode 0700
        dirs = cls(report_dir.resolve(), work.resolve(), keep_keys)
        atexit.register(dirs.close)
        return dirs

    @property
    def artifacts(self) -> Path:
        return self.report_dir / "artifacts"

    @property
    def pki_dir(self) -> Path:
        return self.work_dir / "pki"

    def private_dir(self, *parts: str) -> Path:
        """A private directory for one item's tunnels and key log."""
        path = self.work_dir.joinpath("items", *parts)
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        return path

    def keylog_texts(self) -> list[str]:
        """The NSS key logs the run's Python tunnels wrote (for an evidence pack asked
        to include session keys); read before :meth:`close`."""
        out = []
        for path in sorted(self.work_dir.rglob("*.keylog")):
            with contextlib.suppress(OSError):
                out.append(path.read_text("ascii", errors="replace"))
        return out

    def close(self) -> list[Path]:
        """Delete the work directory (keeping only the key logs with ``keep_keys``).
        Idempotent. Returns the kept key logs."""
        if self._closed:
            return self.kept_keys
        self._closed = True
        if self.keep_keys:
            for path in sorted(self.work_dir.rglob("*.keylog")):
                with contextlib.suppress(OSError):
                    os.chmod(path, 0o600)
                    self.kept_keys.append(path)
            for path in sorted(self.work_dir.rglob("*"), reverse=True):
                if path in self.kept_keys:
                    continue
                with contextlib.suppress(OSError):
                    if path.is_dir() and not path.is_symlink():
                        path.rmdir()  # only empty ones: key logs' folders stay
                    else:
                        path.unlink()
        else:
            shutil.rmtree(self.work_dir, ignore_errors=True)
        return self.kept_keys


def redact(text: str, secrets: set[str] | list[str]) -> str:
    """``text`` with every known secret, and the value of every secret-valued stunnel
    option, replaced by ``***``."""
    out = _SECRET_OPTION_RE.sub(lambda m: m.group("head") + REDACTED, text)
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        out = out.replace(secret, REDACTED)
    return out


def publish_item_files(
    private: Path, public: Path, secrets: set[str] | list[str]
) -> dict[str, Path]:
    """Copy one item's tunnel logs and configs from its private directory into its
    artifacts folder, redacted. Key logs, Docker mounts and anything else stay private.

    Returns:
        artifact name (``server-log``, ``client-conf``, ...) → published path.
    """
    out: dict[str, Path] = {}
    if not private.is_dir():
        return out
    public.mkdir(parents=True, exist_ok=True)
    for path in sorted(private.iterdir()):
        if path.suffix not in (".log", ".conf") or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        target = public / path.name
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(redact(text, secrets))
        out[f"{path.stem}-{path.suffix[1:]}"] = target
    return out
