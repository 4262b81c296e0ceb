"""What goes into the evidence pack of a ``run`` and of a ``certify`` run.

The CLI commands call :func:`pack_run` or :func:`pack_certify` after writing their
reports; both only read what the run left behind (results, report files, captures,
key logs) plus the inputs the user gave, and hand a
:class:`~harness.evidence.pack.PackRequest` to ``write_pack``.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from harness.checks.facts import host_facts, openssl_binary_version
from harness.checks.model import RunResult
from harness.evidence.pack import Capture, PackRequest, PackResult, redact, write_pack

PACKAGES = ("cryptography", "pyOpenSSL", "scapy", "pydantic", "PyYAML", "rich")


def component_versions(run: RunResult) -> dict[str, Any]:
    """Every component's version: the answers to "could this be a version difference?"."""
    host = host_facts()
    binary = openssl_binary_version()
    packages = package_versions(PACKAGES)
    return {
        "harness": run.harness_version,
        "python": host.python,
        "openssl_python": host.openssl,
        "openssl_binary": binary,
        "stunnel": host.stunnel,
        "platform": host.platform,
        "packages": packages,
        "backend_pairs": list(run.backend_pairs),
    }


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def package_versions(names: Sequence[str]) -> dict[str, str | None]:
    """The installed version of each distribution (None: not installed).

    Read from the names of the ``.dist-info``/``.egg-info`` directories on
    ``sys.path`` (``NAME-VERSION.dist-info``), the first match in path order winning,
    as :func:`importlib.metadata.version` finds them, without importing
    importlib.metadata and parsing each METADATA file (half of the evidence step of
    a ``certify server``). A directory counts only with its metadata file in it. A
    name not found that way, or found more than once in one directory (leftovers of
    several installs, whose winner depends on the listing order), is asked of
    importlib.metadata (tests/report/test_evidence_versions.py holds both to the same
    answers)."""
    wanted = {_normal(n): n for n in names}
    found: dict[str, str] = {}
    unsure: set[str] = set()  # left to importlib.metadata
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        here: dict[str, list[str]] = {}
        for item in listing:
            if not item.endswith((".dist-info", ".egg-info")):
                continue
            dist, _, rest = item.rpartition(".")[0].partition("-")
            key = _normal(dist)
            if key not in wanted or wanted[key] in found or wanted[key] in unsure or not rest:
                continue
            record = "METADATA" if item.endswith(".dist-info") else "PKG-INFO"
            if os.path.isfile(os.path.join(entry or ".", item, record)):
                here.setdefault(wanted[key], []).append(rest.partition("-")[0])
        for name, versions in here.items():
            if len(versions) == 1:
                found[name] = versions[0]
            else:  # leftovers of several installs side by side: which one wins is not ours
                unsure.add(name)
        if len(found) + len(unsure) == len(wanted):
            break
    out: dict[str, str | None] = {}
    for name in names:
        if name in found:
            out[name] = found[name]
            continue
        import importlib.metadata

        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def profile_files(names: Iterable[str | None]) -> dict[str, str]:
    """profile/<file name> → YAML text for each built-in name or user file."""
    from harness.profiles.builtin import builtin_dir

    out: dict[str, str] = {}
    for name in sorted({n for n in names if n}):
        looks_like_path = "/" in name or name.endswith((".yaml", ".yml"))
        try:
            if looks_like_path:
                out[Path(name).name] = Path(name).read_text(encoding="utf-8")
            else:
                resource = builtin_dir() / f"{name}.yaml"
                out[f"{name}.yaml"] = resource.read_text(encoding="utf-8")
        except OSError:
            continue
    return out


#: artifacts copied beside the reports (never the key log)
ARTIFACTS = ("pcap", "client-log", "server-log", "client-conf", "server-conf")


def _artifact_files(run: RunResult, report_dir: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for r in run.results:
        for name in ARTIFACTS:
            rel = r.artifacts.get(name)
            if rel and not Path(rel).is_absolute() and ".." not in Path(rel).parts:
                out[f"reports/{rel}"] = report_dir / rel
    return out


def pack_run(
    directory: Path,
    run: RunResult,
    report_dir: Path,
    written: Mapping[str, Path],
    *,
    scenario_paths: Iterable[Path],
    secrets: Iterable[str],
    include_keys: bool = False,
    keylogs: Sequence[str] = (),
    sign_key: Path | None = None,
) -> PackResult:
    """The pack of a ``fixs-harness run``: one capture per item, labelled with the
    scenario, the backend pair and the scenario file's line. ``keylogs`` are the
    run's NSS key logs (read from its private work directory, never from the report
    directory, which holds none); they enter the pack only with ``include_keys``."""
    captures = [
        Capture(report_dir / r.artifacts["pcap"], f"{r.scenario_id}[{r.backend_pair}] {r.source}")
        for r in run.results
        if "pcap" in r.artifacts
    ]
    inputs: dict[str, str] = {}
    for path in dict.fromkeys(scenario_paths):
        try:
            inputs[f"scenarios/{path.name}"] = path.read_text(encoding="utf-8")
        except OSError:
            continue
    return write_pack(
        PackRequest(
            directory=directory,
            reports={p.name: p for p in written.values()},
            files=_artifact_files(run, report_dir),
            captures=captures,
            inputs=inputs,
            profiles=profile_files(r.profile for r in run.results),
            versions=component_versions(run),
            secrets=sorted(set(secrets)),
            keylogs=list(keylogs),
            include_keys=include_keys,
            sign_key=sign_key,
        )
    )


class _Wire(Protocol):
    name: str
    local: tuple[str, int]

    @property
    def keylog(self) -> Any: ...


def keylog_text(wires: Iterable[_Wire]) -> list[str]:
    """NSS key log lines from the probes' in-memory key logs."""
    lines = []
    for wire in wires:
        log = wire.keylog
        if log is None:
            continue
        for (label, client_random), secret in log.secrets.items():
            lines.append(f"{label} {client_random.hex()} {secret.hex()}")
    return ["\n".join(lines)] if lines else []


def pack_certify(
    directory: Path,
    run: RunResult,
    report_dir: Path,
    written: Mapping[str, Path],
    *,
    request: Mapping[str, Any],
    public_files: Mapping[str, Path | None],
    wires: Sequence[_Wire],
    secrets: Iterable[str],
    include_keys: bool = False,
    sign_key: Path | None = None,
) -> PackResult:
    """The pack of a certify run: the probes' pcap with each connection named by its
    probe, the request (flags; files by content with private keys removed)."""
    secrets = sorted({s for s in secrets if s})
    connections = {w.local[1]: w.name for w in wires if w.local[1]}
    r = run.results[0]
    captures = [
        Capture(report_dir / r.artifacts["pcap"], r.backend_pair, connections)
        for r in run.results
        if "pcap" in r.artifacts
    ]
    inputs = {"certify-request.json": json.dumps(dict(request), indent=2, default=str) + "\n"}
    for flag, path in public_files.items():
        if path is None:
            continue
        try:
            inputs[f"files/{flag}-{path.name}"] = redact(path.read_text(errors="replace"), secrets)
        except OSError:
            continue
    return write_pack(
        PackRequest(
            directory=directory,
            reports={p.name: p for p in written.values()},
            files=_artifact_files(run, report_dir),
            captures=captures,
            inputs=inputs,
            profiles=profile_files([r.profile]),
            versions=component_versions(run),
            secrets=secrets,
            keylogs=keylog_text(wires),
            include_keys=include_keys,
            sign_key=sign_key,
        )
    )
