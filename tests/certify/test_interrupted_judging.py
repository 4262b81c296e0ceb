"""An interrupted ``certify server`` keeps only the verdicts of probe steps that ran to
their end (:func:`harness.certify.server.settle_interrupted`), and a scan run from a
worker thread stops once :data:`harness.signals.STOPPING` is set (the ``certify
fleet`` child and any embedding caller: no signal is raised in that thread)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from harness import signals
from harness.certify.probe import STOPPED, Target
from harness.certify.scan import ScanOptions, ServerScan, scan_server
from harness.certify.server import settle_interrupted
from harness.checks.model import CheckResult, Verdict
from harness.profiles import Profile

from . import hostile


def _check(cid: str, verdict: Verdict) -> CheckResult:
    return CheckResult(cid, cid, None, verdict, "expected", "observed")


CHECKS = [
    _check("tls.version.supported", Verdict.PASS),
    _check("tls.version.tls10.refused", Verdict.FAIL),
    _check("tls.cipher.required.0xC02F", Verdict.FAIL),  # a suite not yet asked about
    _check("cert.validity", Verdict.PASS),
    _check("auth.client-certificate.required", Verdict.PASS),
    _check("tls.server-hello.valid", Verdict.PASS),  # reads every wire: needs the lot
    _check("fix.logon.accepted", Verdict.PASS),
    _check("auth.psk.accepted", Verdict.NOT_APPLICABLE),
]


@pytest.mark.parametrize(
    ("finished", "fix_done", "kept"),
    [
        ([], False, set()),
        (["versions"], False, {"tls.version.supported", "tls.version.tls10.refused"}),
        (
            ["versions", "suites"],
            False,
            {
                "tls.version.supported",
                "tls.version.tls10.refused",
                "tls.cipher.required.0xC02F",
                "cert.validity",
            },
        ),
        (["versions", "suites", "all"], False, {c.id for c in CHECKS} - {"fix.logon.accepted"}),
        (["versions", "suites", "all"], True, {c.id for c in CHECKS}),
    ],
)
def test_only_finished_steps_keep_their_verdicts(
    finished: list[str], fix_done: bool, kept: set[str]
) -> None:
    settled = {c.id: c for c in settle_interrupted(CHECKS, finished, fix_done, "SIGTERM")}
    for check in CHECKS:
        out = settled[check.id]
        if check.id in kept or check.verdict is Verdict.NOT_APPLICABLE:
            assert out == check
        else:
            assert out.verdict is Verdict.INCONCLUSIVE, check.id
            assert out.observed == "not run to its end: interrupted by SIGTERM"
    # never a pass that was not earned, never a fail from a step that did not finish
    if not finished:
        assert {c.verdict for c in settled.values()} <= {
            Verdict.INCONCLUSIVE,
            Verdict.NOT_APPLICABLE,
        }


@pytest.fixture
def stop_flag() -> Iterator[None]:
    signals.reset_for_tests()
    try:
        yield
    finally:
        signals.reset_for_tests()


def test_scan_in_a_worker_thread_stops_on_the_flag(guide: Profile, stop_flag: None) -> None:
    """A silent port and a 60 s probe timeout: with the flag set 0.5 s in, the scan
    returns within seconds, interrupted, with no step finished; the control (the flag
    never set, a 1 s timeout) returns uninterrupted with every step finished."""
    with hostile.raw_server(None) as port:
        target = Target("127.0.0.1", "127.0.0.1", port)
        control = scan_server(ScanOptions(target, guide, timeout=1.0, concurrency=4))
        assert control.interrupted is None and control.finished == ["versions", "suites", "all"]
        out: list[ServerScan] = []
        worker = threading.Thread(
            target=lambda: out.append(
                scan_server(ScanOptions(target, guide, timeout=60.0, concurrency=4))
            )
        )
        worker.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        signals.STOPPING.set()
        worker.join(15)
        took = time.monotonic() - t0
    assert not worker.is_alive() and took < 5, took
    (scan,) = out
    assert scan.interrupted == "SIGINT" and scan.finished == []
    assert scan.versions and all(w.error == STOPPED for w in scan.versions.values())
