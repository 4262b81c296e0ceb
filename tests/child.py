"""A fresh interpreter for tests that need their own process (signal state, exit
paths): this repository on its path, output captured as text, bounded in time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def python(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python ARGS...`` from the repository root; never raises on its exit code."""
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
