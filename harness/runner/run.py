"""A run: scenarios × backend pairs → results (in parallel), reports.

The core never prints: progress goes to an observer (the CLI draws a progress bar,
the pytest plugin says nothing). A scenario that cannot be loaded, or whose tunnel
refuses to start, becomes a result with ``error`` set (its own item fails), and the
others still run.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from harness import __version__
from harness.backends.base import TunnelStartError
from harness.checks.evaluate import evaluate
from harness.checks.facts import certificates_of, host_facts, negotiated_of
from harness.checks.model import (
    CheckResult,
    Note,
    RunResult,
    ScenarioResult,
    Verdict,
)
from harness.errors import HarnessError, LocatedError, SourceLocation
from harness.pki import TestPKI
from harness.profiles import load_profile
from harness.runner.execute import Observation, RunContext, observe
from harness.runner.pairs import BackendPair
from harness.scenario import Scenario, load_scenario
from harness.scenario.loader import scenario_files
from harness.scenario.matrix import expand_matrix
from harness.stunnelconf.semantics import parse_psk_secrets


@dataclass(frozen=True)
class Item:
    """One scenario (or its load error) on one backend pair."""

    path: Path
    scenario: Scenario | None
    pair: BackendPair
    load_error: LocatedError | HarnessError | None = None

    @property
    def id(self) -> str:
        sid = self.scenario.id if self.scenario else self.path.stem
        return f"{sid}[{self.pair.name}]"


def collect(paths: Iterable[Path], pairs: Sequence[BackendPair]) -> list[Item]:
    """Load every scenario (expanding matrices) and pair it with each backend pair.
    A file that does not load yields one item per pair carrying its error."""
    items: list[Item] = []
    for path in scenario_files(paths):
        try:
            scenario = load_scenario(path)
            variants = expand_matrix(scenario, load_profile(scenario.profile))
        except (LocatedError, HarnessError) as exc:
            items.extend(Item(path, None, pair, exc) for pair in pairs)
            continue
        for variant in variants:
            items.extend(Item(path, variant, pair) for pair in pairs)
    return items


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_.[]" else "_" for ch in name)


def _generated_secrets(pki: TestPKI) -> list[str]:
    """PSK keys and private-key material: must never reach a report."""
    out: list[str] = []
    for path in (pki.psk.path, pki.psk.wrong_key_path, pki.psk.unknown_identity_path):
        try:
            for entry in parse_psk_secrets(path.read_text(), path=str(path), hex_keys=False):
                out.append(entry.key.decode(errors="replace"))
        except (OSError, HarnessError):
            continue
    for leaf in pki.leaves.values():
        try:
            body = [
                line
                for line in leaf.key_path.read_text().splitlines()
                if line and not line.startswith("-----")
            ]
        except OSError:
            continue
        if body:
            out.append(body[0][:48])
    return out


def _expected_psk_identity(obs: Observation) -> str | None:
    svc = obs.client_settings
    if svc is None or not svc.psk_secrets:
        return None
    if svc.psk_identity:
        return svc.psk_identity
    try:
        entries = parse_psk_secrets(Path(svc.psk_secrets).read_text(), path=svc.psk_secrets)
    except (OSError, HarnessError):
        return None
    return entries[0].identity


class Runner:
    """Runs items; shares one PKI and one artifacts directory per run."""

    def __init__(
        self,
        report_dir: Path,
        *,
        capture: str = "auto",
        timeout: float = 10.0,
        workers: int = 2,
        observer: Callable[[Item, ScenarioResult | None], None] | None = None,
        observe_fn: Callable[[Scenario, BackendPair, RunContext, Path], Observation] = observe,
    ) -> None:
        # observe_fn: how one item is run and watched (``rehearse --connect`` runs only
        # our client tunnel against a real endpoint); the rest of the run is the same
        self._observe = observe_fn
        self.report_dir = report_dir
        self.run_id = uuid.uuid4().hex[:12]
        self.artifacts = report_dir / "artifacts"
        self.workers = max(1, workers)
        self.observer = observer
        self._lock = threading.Lock()
        self.artifacts.mkdir(parents=True, exist_ok=True)
        pki_dir = report_dir / "pki"
        if pki_dir.exists():
            shutil.rmtree(pki_dir)
        self.pki = TestPKI.create(pki_dir)
        pki_dir.chmod(0o700)  # generated private keys: owner only
        self.ctx = RunContext(self.artifacts, self.pki, capture=capture, timeout=timeout)  # type: ignore[arg-type]
        self.secrets: set[str] = set(_generated_secrets(self.pki))

    def run_item(self, item: Item) -> ScenarioResult:
        started = time.monotonic()
        if item.scenario is None:
            exc = item.load_error
            loc = exc.location if isinstance(exc, LocatedError) else SourceLocation(str(item.path))
            return ScenarioResult(
                scenario_id=item.path.stem,
                title=f"(scenario did not load) {item.path.name}",
                source=loc,
                backend_pair=item.pair.name,
                error=str(exc),
            )
        scenario = item.scenario
        with self._lock:
            self.secrets.update(scenario.secrets())
        workdir = self.artifacts / _safe(scenario.id) / _safe(item.pair.name.replace("/", "-"))
        expect, overrides = scenario.expectations_for(item.pair.name)
        notes = [
            Note("override", f"Expectation override for {o.backend_pair}", o.reason)
            for o in overrides
        ]
        checks: list[CheckResult] = []
        obs: Observation | None = None
        error: str | None = None
        try:
            profile = load_profile(scenario.profile)
            obs = self._observe(scenario, item.pair, self.ctx, workdir)
            obs.expected_psk_identity = _expected_psk_identity(obs)
            checks = evaluate(expect, profile, obs)
            if obs.handshake is not None and obs.handshake.cipher_selected is not None:
                erratum = profile.erratum_for(obs.handshake.cipher_selected)
                if erratum is not None:
                    notes.append(Note(erratum.id, erratum.title, erratum.text))
        except TunnelStartError as exc:
            error = f"{exc}"
            tail = "\n".join(exc.log.strip().splitlines()[-5:])
            if tail:
                error += f"\n{tail}"
        except (LocatedError, HarnessError) as exc:
            error = str(exc)
        transcript: tuple[dict[str, object], ...] = ()
        artifacts: dict[str, str] = {}
        if obs is not None:
            if obs.conversation is not None:
                transcript = tuple(e.to_dict() for e in obs.conversation.transcript.entries)
            for name, path in obs.artifacts.items():
                if path.exists():
                    artifacts[name] = os.path.relpath(path, self.report_dir)
            notes.extend(Note("rewrite", "Rewritten for loopback", n) for n in obs.notes)
        return ScenarioResult(
            scenario_id=scenario.id,
            title=scenario.title,
            source=scenario.source,
            backend_pair=item.pair.name,
            checks=tuple(checks),
            guide_section=scenario.guide_section,
            profile=scenario.profile,
            handshake=obs.handshake.to_dict() if obs and obs.handshake else None,
            certificates=certificates_of(obs.handshake) if obs else (),
            negotiated=negotiated_of(obs.handshake) if obs else None,
            fix_transcript=transcript,
            artifacts=artifacts,
            notes=tuple(notes),
            duration_s=time.monotonic() - started,
            error=error,
        )

    def run(self, items: Sequence[Item]) -> RunResult:
        started = datetime.now(UTC)
        results: list[ScenarioResult | None] = [None] * len(items)

        def one(index: int) -> None:
            result = self.run_item(items[index])
            results[index] = result
            if self.observer is not None:
                self.observer(items[index], result)

        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="scenario")
        try:
            for future in [pool.submit(one, i) for i in range(len(items))]:
                future.result()
        except BaseException:
            # Ctrl-C or a bug: run nothing more; the scenarios under way stop their
            # tunnels, containers and threads on their own way out (bounded waits)
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return RunResult(
            started=started,
            finished=datetime.now(UTC),
            harness_version=__version__,
            host=host_facts(),
            results=tuple(r for r in results if r is not None),
        )


def verdict_exit_code(run: RunResult) -> int:
    """0 all pass, 1 any fail, 2 a harness/usage error or an inconclusive result."""
    if any(r.error for r in run.results):
        return 2
    counts = run.counts()
    if counts[Verdict.FAIL]:
        return 1
    if counts[Verdict.INCONCLUSIVE] or not run.results:
        return 2
    return 0
