"""A run: scenarios × backend pairs → results (in parallel), reports.

The core never prints: progress goes to an observer (the CLI draws a progress bar,
the pytest plugin says nothing). A scenario that cannot be loaded, whose tunnel
refuses to start or fails during the item, or that hits any exception at all,
becomes a result with ``error`` set (its own item fails, an unexpected exception's
traceback is saved in its artifacts), and the others still run.

A stop signal (:mod:`harness.signals`) ends the run early: nothing more starts, the
items under way are abandoned (their tunnels are already being stopped), and
:meth:`Runner.run` returns what finished, with ``interrupted`` set, for the caller
to write as an interrupted report.

Files: see :mod:`harness.runner.rundir` (public report directory, private work
directory for keys, real configs and key logs).
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from harness import __version__, signals
from harness.backends.base import TunnelStartError
from harness.capture import CaptureResult
from harness.checks.evaluate import evaluate
from harness.checks.facts import certificates_of, host_facts, negotiated_of
from harness.checks.guidance import annotate
from harness.checks.model import (
    CheckResult,
    Note,
    RunResult,
    ScenarioResult,
    Verdict,
)
from harness.checks.selftest import judge_selftest
from harness.errors import HarnessError, LocatedError, SourceLocation
from harness.pki import TestPKI
from harness.profiles import load_profile
from harness.runner.execute import RunContext, ScenarioRun, observe
from harness.runner.pairs import BackendPair
from harness.runner.rundir import RunDirs, publish_item_files, redact
from harness.runner.selftest import left_out as selftest_left_out
from harness.runner.selftest import misreport_log
from harness.runner.watch import TunnelFaultError
from harness.scenario import Scenario, load_scenario
from harness.scenario.loader import scenario_files
from harness.scenario.matrix import expand_matrix
from harness.stunnelconf.semantics import parse_psk_secrets


def _capture_note(capture: CaptureResult) -> Note:
    """How the TLS leg was captured (the wire every verdict rests on), and what the
    capture lost, if anything."""
    if capture.method == "sniff":
        text = "live capture on the loopback interface (the real TCP segments)"
    else:
        text = "the tap relay between the tunnels (TCP segments synthesised from what it relayed)"
    if capture.fallback_reason:
        text += f"; live capture unavailable: {capture.fallback_reason}"
    if capture.lost:
        text += f"; NOT WHOLE: {capture.lost}"
    return Note("capture", "How the TLS leg was captured", text)


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


def collect(
    paths: Iterable[Path],
    pairs: Sequence[BackendPair],
    *,
    selftest: bool = False,
    left_out: list[Path] | None = None,
) -> list[Item]:
    """Load every scenario (expanding matrices) and pair it with each backend pair.
    A file that does not load yields one item per pair carrying its error.

    A directory search does not enter ``selftest/`` sub-directories unless
    ``selftest`` is true (harness.runner.selftest); the files it leaves out are
    appended to ``left_out`` when given."""
    items: list[Item] = []
    files: list[Path] = []
    for arg in paths:
        for path in scenario_files([arg]):
            if not selftest and arg.is_dir() and selftest_left_out(path, arg):
                if left_out is not None:
                    left_out.append(path)
                continue
            files.append(path)
    for path in dict.fromkeys(files):
        try:
            scenario = load_scenario(path)
            variants = expand_matrix(scenario, load_profile(scenario.profile))
        except (LocatedError, HarnessError) as exc:
            items.extend(Item(path, None, pair, exc) for pair in pairs)
            continue
        except Exception as exc:  # a loader bug must not sink the other files
            error = HarnessError(f"{path}: internal error loading it: {type(exc).__name__}: {exc}")
            items.extend(Item(path, None, pair, error) for pair in pairs)
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
        keep_keys: bool = False,
        observe_fn: Callable[
            [Scenario, BackendPair, RunContext, Path, Path | None], ScenarioRun
        ] = observe,
    ) -> None:
        # observe_fn: how one item is run and watched (``rehearse --connect`` runs only
        # our client tunnel against a real endpoint); the rest of the run is the same
        self._observe = observe_fn
        self.report_dir = report_dir
        self.run_id = uuid.uuid4().hex[:12]
        self.workers = max(1, workers)
        self.observer = observer
        self._lock = threading.Lock()
        # the previous run's report goes first; keys and real configs live in a
        # private work directory outside the report directory
        self.dirs = RunDirs.create(report_dir, keep_keys=keep_keys)
        self.artifacts = report_dir / "artifacts"
        self.pki = TestPKI.create(self.dirs.pki_dir)
        self.dirs.pki_dir.chmod(0o700)  # generated private keys: owner only
        self.ctx = RunContext(self.artifacts, self.pki, capture=capture, timeout=timeout)  # type: ignore[arg-type]
        self.secrets: set[str] = set(_generated_secrets(self.pki))

    def close(self) -> list[Path]:
        """Delete the private work directory (keeping the key logs with keep_keys);
        returns the kept key logs. Call after the reports are written."""
        return self.dirs.close()

    def run_item(self, item: Item) -> ScenarioResult:
        """One item; never raises except on a stop signal (any other exception
        becomes the item's error, with its traceback saved in the artifacts)."""
        started = time.monotonic()
        try:
            return self._run_item(item, started)
        except KeyboardInterrupt:
            raise
        except Exception as exc:
            return self._crashed(item, exc, started)

    def _crashed(self, item: Item, exc: Exception, started: float) -> ScenarioResult:
        sid = item.scenario.id if item.scenario else item.path.stem
        public = self.artifacts / _safe(sid) / _safe(item.pair.name.replace("/", "-"))
        artifacts: dict[str, str] = {}
        text = "".join(traceback.format_exception(exc))
        try:
            public.mkdir(parents=True, exist_ok=True)
            path = public / "traceback.txt"
            path.write_text(redact(text, self.secrets), encoding="utf-8")
            artifacts["traceback"] = os.path.relpath(path, self.report_dir)
        except OSError:
            pass
        where = f" (traceback: {artifacts['traceback']})" if artifacts else ""
        return ScenarioResult(
            scenario_id=sid,
            title=item.scenario.title if item.scenario else item.path.name,
            source=item.scenario.source if item.scenario else SourceLocation(str(item.path)),
            backend_pair=item.pair.name,
            artifacts=artifacts,
            duration_s=time.monotonic() - started,
            error=redact(f"internal error: {type(exc).__name__}: {exc}{where}", self.secrets),
        )

    def _run_item(self, item: Item, started: float) -> ScenarioResult:
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
        parts = (_safe(scenario.id), _safe(item.pair.name.replace("/", "-")))
        workdir = self.artifacts.joinpath(*parts)
        private = self.dirs.private_dir(*parts)
        expect, overrides = scenario.expectations_for(item.pair.name)
        notes = [
            Note("override", f"Expectation override for {o.backend_pair}", o.reason)
            for o in overrides
        ]
        checks: list[CheckResult] = []
        obs: ScenarioRun | None = None
        error: str | None = None
        try:
            profile = load_profile(scenario.profile)
            try:
                obs = self._observe(scenario, item.pair, self.ctx, workdir, private)
            except TunnelFaultError as exc:
                # a tunnel failed: an error, not a verdict; the checks of what was
                # observed are still shown (e.g. the stalled script)
                error = str(exc)
                obs = exc.observation
            if obs is not None:
                if scenario.selftest is not None and scenario.selftest.misreport_log is not None:
                    text = misreport_log(obs, scenario.selftest.misreport_log)
                    notes.append(Note("selftest-knob", "Self-test: log misread on purpose", text))
                checks = evaluate(expect, profile, obs.observation())
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
        finally:
            published = publish_item_files(private, workdir, self.secrets)
        transcript: tuple[dict[str, object], ...] = ()
        artifacts = {
            name: os.path.relpath(path, self.report_dir) for name, path in published.items()
        }
        if obs is not None:
            if obs.conversation is not None:
                transcript = tuple(e.to_dict() for e in obs.conversation.transcript.entries)
            for name, path in obs.artifacts.items():
                # only what lies in the report directory: key logs and the configs
                # the tunnels really ran stay private (redacted copies are published)
                if name not in artifacts and path.exists() and path.is_relative_to(workdir):
                    artifacts[name] = os.path.relpath(path, self.report_dir)
            keylog = obs.artifacts.get("keylog")
            if self.dirs.keep_keys and keylog is not None:
                notes.append(
                    Note(
                        "keylog-kept",
                        "TLS key log kept outside the report directory (--keep-keys)",
                        f"{keylog} (mode 0600): it decrypts this item's pcap; "
                        "do not share it with the report",
                    )
                )
            notes.extend(Note("rewrite", "Rewritten for loopback", n) for n in obs.notes)
            if obs.capture is not None:
                notes.append(_capture_note(obs.capture))
        result = ScenarioResult(
            scenario_id=scenario.id,
            title=scenario.title,
            source=scenario.source,
            backend_pair=item.pair.name,
            checks=annotate(checks),
            guide_section=scenario.guide_section,
            profile=scenario.profile,
            handshake=obs.handshake.to_dict() if obs and obs.handshake else None,
            certificates=certificates_of(obs.handshake) if obs else (),
            # what the handshake settled on, only for one that completed
            negotiated=negotiated_of(obs.handshake) if obs and obs.handshake_completed() else None,
            fix_transcript=transcript,
            artifacts=artifacts,
            notes=tuple(notes),
            duration_s=time.monotonic() - started,
            error=error,
        )
        if scenario.selftest is not None:
            outcome = judge_selftest(result, scenario.selftest.must_fail)
            note = Note(
                "selftest",
                "Self-test: these checks must fail",
                f"{outcome.summary()}. Expected failures: {', '.join(outcome.must_fail)}; "
                "the scenario contradicts its own configuration on purpose, so it passes "
                "only when exactly these checks fail.",
            )
            result = replace(result, selftest=outcome, notes=(note, *result.notes))
        return result

    def run(self, items: Sequence[Item]) -> RunResult:
        """Run every item; on a stop signal, return what finished (``interrupted``)."""
        started = datetime.now(UTC)
        results: list[ScenarioResult | None] = [None] * len(items)

        def one(index: int) -> None:
            if signals.STOPPING.is_set():
                return
            result = self.run_item(items[index])
            if signals.STOPPING.is_set():
                return  # finished while its tunnels were being torn down: not a result
            results[index] = result
            if self.observer is not None:
                self.observer(items[index], result)

        interrupted: str | None = None
        pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="scenario")
        try:
            for future in [pool.submit(one, i) for i in range(len(items))]:
                try:
                    future.result()
                except KeyboardInterrupt:
                    if not signals.STOPPING.is_set():
                        raise  # a bare KeyboardInterrupt from a worker: not a signal
        except KeyboardInterrupt as exc:
            # a stop signal: run nothing more; the items under way see their tunnels
            # stopped (signals.abort_everything) and end within their bounded waits.
            # A later signal is only noted by the handler, so this wait completes.
            signals.STOPPING.set()
            interrupted = getattr(exc, "signame", "SIGINT")
            pool.shutdown(wait=True, cancel_futures=True)
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if interrupted is None and signals.STOPPING.is_set():
            interrupted = signals.stop_reason() or "SIGINT"
        return RunResult(
            started=started,
            finished=datetime.now(UTC),
            harness_version=__version__,
            host=host_facts(),
            results=tuple(r for r in results if r is not None),
            interrupted=interrupted,
        )


def verdict_exit_code(run: RunResult) -> int:
    """0 all pass, 1 any fail, 2 a harness/usage error or an inconclusive result;
    128 + signal (130 SIGINT, 143 SIGTERM, 129 SIGHUP) for an interrupted run."""
    if run.interrupted:
        return 128 + int(getattr(signal.Signals, run.interrupted, signal.SIGINT))
    if any(r.error for r in run.results):
        return 2
    counts = run.counts()
    if counts[Verdict.FAIL]:
        return 1
    if counts[Verdict.INCONCLUSIVE] or not run.results:
        return 2
    return 0
