"""harness.signals' handler runs on the main thread between two bytecodes; a stop
signal that lands while that thread holds the module's lock (reading the stop reason
during clean-up) must not deadlock the process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = """
import os, signal, time
from harness import signals
signals.install()
try:
    with signals._lock:  # the main thread inside stop_reason() / stop_exit_code()
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
except signals.Interrupted as exc:
    print("interrupted", exc.signame, signals.stop_exit_code())
"""


def test_a_signal_while_the_main_thread_holds_the_lock_is_handled() -> None:
    """With a non-reentrant lock the handler waits for itself and the child hangs
    until the timeout (the test then fails on TimeoutExpired)."""
    proc = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert proc.stdout.split() == ["interrupted", "SIGTERM", "143"], proc.stderr
