"""No container outlives its run: Ctrl-C in the middle, and a crash (SIGKILL) + prune.

A child Python process starts a real stunnel container (the same launcher the
backend uses), says READY, and sleeps. The test interrupts it the way a user does.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from harness.backends import docker_images
from harness.cli import main as cli_main
from tests.backends.kit import server_files

pytestmark = pytest.mark.docker

CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from harness.backends.docker_launcher import StunnelContainer

    run_dir, run_id, mode = Path(sys.argv[1]), sys.argv[2], sys.argv[3]

    class InterruptedDuringStart(StunnelContainer):
        # Ctrl-C lands after the container exists but before it is ready.
        def _wait_ready(self, expected):
            print("CREATED", self.container_name, flush=True)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(30)

    launcher = InterruptedDuringStart if mode == "during-start" else StunnelContainer
    conf = (Path(run_dir) / "template.conf").read_text()
    try:
        with launcher("fixs-harness/stunnel:bookworm", conf, run_dir,
                              run_id=run_id, name="server") as tunnel:
            print("READY", tunnel.container_name, flush=True)
            time.sleep(120)
    except KeyboardInterrupt:
        print("INTERRUPTED", flush=True)
        sys.exit(130)
    """
)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    server_files(tmp_path)
    (tmp_path / "template.conf").write_text(
        "[FIX-server]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n"
        f"cert = {tmp_path}/server.pem\nkey = {tmp_path}/server.key\n"
    )
    (tmp_path / "child.py").write_text(CHILD)
    return tmp_path


def start_child(
    run_dir: Path, run_id: str, mode: str = "run", expect: str = "READY"
) -> tuple[subprocess.Popen[str], str]:
    """Start the child and wait (bounded) for its first line (READY or CREATED)."""
    proc = subprocess.Popen(
        [sys.executable, str(run_dir / "child.py"), str(run_dir), run_id, mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout=60)
    if not line or not line[0].startswith(expect):
        proc.kill()
        _, err = proc.communicate(timeout=30)
        pytest.fail(f"child never became ready: {line!r}\n{err}")
    return proc, line[0].split()[1]


def labelled(client: Any, run_id: str) -> list[str]:
    return [c.name for c in docker_images.harness_containers(client, run_id)]


def test_sigint_mid_run_removes_the_container(
    docker_client: Any, stunnel_images: Any, run_id: str, run_dir: Path
) -> None:
    proc, name = start_child(run_dir, run_id)
    try:
        # Positive control: while the run is alive, its container is found by label.
        assert labelled(docker_client, run_id) == [name]
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == 130, err
    assert "INTERRUPTED" in out
    assert labelled(docker_client, run_id) == []


def test_crashed_run_leaves_a_container_that_prune_removes(
    docker_client: Any,
    stunnel_images: Any,
    run_id: str,
    run_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    proc, name = start_child(run_dir, run_id)
    try:
        proc.kill()  # SIGKILL: no Python cleanup can run
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    # Negative control for the test above: without cleanup the container stays...
    assert labelled(docker_client, run_id) == [name]
    # ...until prune finds it by its run label.
    assert cli_main(["images", "prune", "--run", run_id]) == 0
    assert f"removed container {name}" in capsys.readouterr().out
    assert labelled(docker_client, run_id) == []
    assert cli_main(["images", "prune", "--run", run_id]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_sigint_during_start_up_removes_the_container(
    docker_client: Any, stunnel_images: Any, run_id: str, run_dir: Path
) -> None:
    proc, _name = start_child(run_dir, run_id, mode="during-start", expect="CREATED")
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == 130, err
    assert "READY" not in out
    assert labelled(docker_client, run_id) == []
