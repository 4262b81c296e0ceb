"""Start-up failures come back promptly, in stunnel's own words, and leave nothing.

"Promptly" is proven without timing assertions: the readiness timeout is set far
beyond the test's budget, so only early-exit detection can produce the expected
error (a timeout would say "not ready after ...").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.backends import docker_images
from harness.backends.docker_images import SUITES, image_tag
from harness.backends.docker_launcher import StunnelContainer, StunnelStartError
from harness.errors import HarnessError
from tests.backends.kit import server_files

pytestmark = pytest.mark.docker

NEVER = 3600.0  # a readiness timeout no test waits out


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    server_files(tmp_path)
    return tmp_path


def conf(run_dir: Path, extra: str) -> str:
    return (
        "[FIX-server]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n"
        f"cert = {run_dir}/server.pem\nkey = {run_dir}/server.key\n{extra}"
    )


@pytest.mark.parametrize("suite", list(SUITES))
def test_checkip_without_verify_fails_with_stunnels_text(
    docker_client: Any, stunnel_images: Any, run_id: str, run_dir: Path, suite: str
) -> None:
    tunnel = StunnelContainer(
        image_tag(suite),
        conf(run_dir, "checkIP = 127.0.0.1\n"),
        run_dir,
        run_id=run_id,
        name="server",
        client=docker_client,
        ready_timeout=NEVER,
    )
    with pytest.raises(StunnelStartError) as caught:
        tunnel.start()
    err = caught.value
    assert err.exit_code == 1
    assert (
        'Service [FIX-server]: Either "verifyChain" or "verifyPeer" has to be enabled' in err.errors
    )
    # Cross-version difference: 5.56 stops at the specific line; 5.68+ add a summary.
    assert ("Configuration failed" in err.errors) == (suite != "bullseye")
    assert "exited during start-up" in str(err)
    assert "not ready after" not in str(err)
    assert not tunnel.running
    assert docker_images.harness_containers(docker_client, run_id) == []


@pytest.mark.parametrize("suite", list(SUITES))
def test_checkip_with_verifypeer_starts(
    docker_client: Any, stunnel_images: Any, run_id: str, run_dir: Path, suite: str
) -> None:
    """Negative control: the same config with verifyPeer is accepted."""
    extra = f"checkIP = 127.0.0.1\nverifyPeer = yes\nCAfile = {run_dir}/server.pem\n"
    with StunnelContainer(
        image_tag(suite),
        conf(run_dir, extra),
        run_dir,
        run_id=run_id,
        name="server",
        client=docker_client,
        ready_timeout=NEVER,
    ) as tunnel:
        host, port = tunnel.bound["FIX-server"]
        assert host == "127.0.0.1"
        assert port > 0
        assert len(docker_images.harness_containers(docker_client, run_id)) == 1
    assert "Configuration successful" in tunnel.logs()


def test_missing_file_fails_with_path_in_error(
    docker_client: Any, stunnel_images: Any, run_id: str, run_dir: Path
) -> None:
    (run_dir / "server.pem").unlink()
    with pytest.raises(StunnelStartError, match=r"server\.pem"):
        StunnelContainer(
            image_tag("bookworm"),
            conf(run_dir, ""),
            run_dir,
            run_id=run_id,
            name="server",
            client=docker_client,
            ready_timeout=NEVER,
        ).start()


def test_non_loopback_accept_refused_before_any_container(
    docker_client: Any, stunnel_images: Any, run_id: str, run_dir: Path
) -> None:
    text = conf(run_dir, "").replace("accept = 127.0.0.1:0", "accept = 7777")
    with pytest.raises(HarnessError, match="beyond loopback"):
        StunnelContainer(
            image_tag("bookworm"), text, run_dir, run_id=run_id, name="s", client=docker_client
        ).start()
    assert docker_images.harness_containers(docker_client, run_id) == []


def test_missing_image_is_a_clear_error(docker_client: Any, run_id: str, run_dir: Path) -> None:
    with pytest.raises(HarnessError, match="fixs-harness images build"):
        StunnelContainer(
            "fixs-harness/stunnel:no-such-suite",
            conf(run_dir, ""),
            run_dir,
            run_id=run_id,
            name="s",
            client=docker_client,
        ).start()
