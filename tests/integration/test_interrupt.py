"""Ctrl-C in the middle of a run leaves nothing running: no stunnel process, no
container with the harness label, and the command exits 130."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from harness.backends.docker import RUN_ID_ENV
from harness.backends.stunnel_local import LocalStunnelBackend

REPO = Path(__file__).resolve().parents[2]


def _stunnel_children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid,ppid,comm"], capture_output=True, text=True, check=True)
    found = []
    for line in out.stdout.splitlines()[1:]:
        cpid, ppid, comm = line.split(None, 2)
        if comm.strip().startswith("stunnel") and int(ppid) == pid:
            found.append(int(cpid))
    return found


def _own_containers(run_id: str) -> list[str]:
    """This test's containers only (its run label): other tests running beside it
    have harness containers of their own, which are none of this test's business."""
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=fixs-harness.run={run_id}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def _docker_ok() -> bool:
    from harness.runner.pairs import make_backend

    return make_backend("stunnel-docker/bookworm").check().ok


@pytest.mark.parametrize(
    "pair", ["stunnel-local:stunnel-local", "stunnel-docker/bookworm:stunnel-local"]
)
def test_sigint_mid_run_leaves_nothing(pair: str, tmp_path: Path) -> None:
    if not LocalStunnelBackend().check().ok:
        if os.environ.get("CI") == "true":
            pytest.fail("stunnel must be installed in CI")
        pytest.skip("no stunnel")
    if "docker" in pair and not _docker_ok():
        if os.environ.get("CI") == "true":
            pytest.fail("the stunnel-docker backend must run in CI")
        pytest.skip("no Docker engine or image")
    run_id = f"test-interrupt-{uuid.uuid4().hex[:12]}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "run",
            str(REPO / "scenarios"),
            "-p",
            pair,
            "--report-dir",
            str(tmp_path / "r"),
            "--workers",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, RUN_ID_ENV: run_id},
    )
    try:
        # wait until the run has tunnels up (artifacts appear) and, with Docker, until
        # one of its containers was seen by its label (so the final count can fail)
        seen = "docker" not in pair
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            logs = list((tmp_path / "r").glob("artifacts/*/*/server.log"))
            seen = seen or bool(_own_containers(run_id))
            if len(logs) >= 3 and seen:
                break
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        else:
            pytest.fail(f"the run never got going (a container of its own seen: {seen})")
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert _stunnel_children(proc.pid) == []
    # its stunnels run from its private work directory (their configs are there), so a
    # process orphaned by the interrupted run is found by that name
    for marker in (str(tmp_path), f"fixs-harness-work-{proc.pid}-"):
        leftover = subprocess.run(["pgrep", "-af", marker], capture_output=True, text=True)
        running = [line for line in leftover.stdout.splitlines() if "pgrep" not in line]
        assert running == [], f"a stunnel of this run is still running: {running}"
    if "docker" in pair:
        assert _own_containers(run_id) == [], "containers left behind"
