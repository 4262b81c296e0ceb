"""The images hold the stunnel/OpenSSL versions their suites are known for.

Docker-free tests cover the pieces around the build (suite lookup, banner parsing,
mirror discovery); the docker-marked ones run ``stunnel -version`` in each image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.backends import docker_images
from harness.backends.docker_images import (
    LABEL_HARNESS,
    LABEL_RUN,
    SUITES,
    ImageInfo,
    default_mirror,
    image_tag,
    parse_stunnel_version,
    suite_for,
)
from harness.cli import main as cli_main
from harness.errors import HarnessError

BANNER_556 = """\
[ ] Initializing inetd mode configuration
[.] stunnel 5.56 on x86_64-pc-linux-gnu platform
[.] Compiled with OpenSSL 1.1.1k  25 Mar 2021
[.] Running  with OpenSSL 1.1.1w  11 Sep 2023
"""


def test_suite_lookup_by_name_or_version() -> None:
    assert suite_for("bullseye").stunnel == "5.56"
    assert suite_for("5.74").name == "trixie"
    assert image_tag("5.68") == "fixs-harness/stunnel:bookworm"
    with pytest.raises(HarnessError, match=r"known: bullseye \(5.56\)"):
        suite_for("5.41")


def test_parse_stunnel_version_banner() -> None:
    info = parse_stunnel_version(BANNER_556)
    assert (info.stunnel_version, info.openssl_compiled, info.openssl_running) == (
        "5.56",
        "1.1.1k",
        "1.1.1w",
    )
    with pytest.raises(HarnessError, match="no stunnel version banner"):
        parse_stunnel_version("stunnel: command not found")


def test_default_mirror_from_apt_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FIXS_DEBIAN_MIRROR", raising=False)
    deb822 = tmp_path / "debian.sources"
    deb822.write_text("Types: deb\nURIs: http://mirror.example.invalid/debian\nSuites: bookworm\n")
    oneline = tmp_path / "sources.list"
    oneline.write_text("deb [arch=amd64] http://other.example.invalid/debian/ bookworm main\n")
    unrelated = tmp_path / "node.list"
    unrelated.write_text("deb https://deb.nodesource.com/node_20.x nodistro main\n")
    assert default_mirror([unrelated, deb822]) == "http://mirror.example.invalid/debian"
    assert default_mirror([oneline]) == "http://other.example.invalid/debian"
    # Negative control: nothing Debian-like configured → Debian's redirector.
    assert default_mirror([unrelated]) == "http://deb.debian.org/debian"
    monkeypatch.setenv("FIXS_DEBIAN_MIRROR", "http://env.example.invalid/debian/")
    assert default_mirror([deb822]) == "http://env.example.invalid/debian"


@pytest.mark.docker
@pytest.mark.parametrize("suite", list(SUITES))
def test_image_reports_expected_versions(
    docker_client: Any, stunnel_images: dict[str, ImageInfo], run_id: str, suite: str
) -> None:
    """Run ``stunnel -version`` in the image, independently of its labels."""
    container = docker_client.containers.create(
        image_tag(suite),
        command=["stunnel", "-version"],
        labels={LABEL_HARNESS: "1", LABEL_RUN: run_id},
        network_mode="none",
    )
    try:
        container.start()
        container.wait(timeout=60)
        banner = container.logs().decode()
    finally:
        container.remove(force=True)
    info = parse_stunnel_version(banner)
    expected = SUITES[suite]
    assert info.stunnel_version == expected.stunnel
    assert info.openssl_running.startswith(expected.openssl)
    labels = stunnel_images[suite]
    assert (labels.stunnel_version, labels.openssl_version) == (
        info.stunnel_version,
        info.openssl_running,
    )
    assert labels.matches_expectation


@pytest.mark.docker
def test_images_are_distinct_versions(stunnel_images: dict[str, ImageInfo]) -> None:
    """Negative control for the above: the three images are not one stunnel thrice."""
    versions = {info.stunnel_version for info in stunnel_images.values()}
    openssl = {info.openssl_version.rsplit(".", 1)[0] for info in stunnel_images.values()}
    assert len(versions) == 3
    assert len(openssl) == 3


@pytest.mark.docker
def test_cli_images_list_and_build_reuse(
    stunnel_images: dict[str, ImageInfo], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli_main(["images", "list"]) == 0
    out = capsys.readouterr().out
    for suite in SUITES.values():
        assert f"fixs-harness/stunnel:{suite.name}\tstunnel {suite.stunnel}" in out
    # Present images are reused: build is a no-op that says so.
    assert cli_main(["images", "build", "--suite", "bullseye"]) == 0
    assert "bullseye: present" in capsys.readouterr().err


def test_cli_without_engine_is_a_one_line_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    assert cli_main(["images", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fixs-harness: error: no Docker engine reachable")
    assert "Traceback" not in err


def test_probe_engine_reports_failure_as_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    status = docker_images.probe_engine()
    assert not status.available
    assert "no Docker engine reachable" in status.reason


def test_debootstrap_progress_is_one_line_per_phase() -> None:
    lines = [
        "debootstrap bookworm from http://mirror.invalid/debian into /tmp/x",
        "I: Retrieving InRelease",
        "I: Checking Release signature",
        "I: Retrieving libc6 2.36",
        "I: Validating libc6 2.36",
        "I: Retrieving tar 1.34",
        "I: Validating tar 1.34",
        "W: some warning",
        "I: Extracting libc6...",
        "I: Extracting tar...",
        "E: Couldn't download packages: tar",
    ]
    shown: list[str] = []
    seen = list(docker_images._debootstrap_phases(lines, shown.append, "bookworm"))
    assert seen == lines  # every line is kept for the error message
    assert shown == [
        "bookworm: debootstrap bookworm from http://mirror.invalid/debian into /tmp/x",
        "bookworm: Retrieving InRelease",
        "bookworm: Checking Release signature",
        "bookworm: Retrieving libc6 2.36",
        "bookworm: Extracting libc6...",
        "bookworm: E: Couldn't download packages: tar",
    ]


def test_one_dockerfile_for_every_suite() -> None:
    """docker/Dockerfile takes the suite as a build argument; no per-suite copies."""
    docker_dir = Path(docker_images.__file__).resolve().parents[2] / "docker"
    assert sorted(p.relative_to(docker_dir).as_posix() for p in docker_dir.rglob("Dockerfile")) == [
        "Dockerfile"
    ]
    text = (docker_dir / "Dockerfile").read_text()
    assert "ARG SUITE" in text and "FROM ${BASE}" in text
    assert 'LABEL fixs-harness.suite="${SUITE}"' in text
    guard = next(line for line in text.splitlines() if "case " in line)
    assert all(suite in guard for suite in SUITES)


@pytest.mark.docker
def test_dockerfile_refuses_a_base_of_another_suite(
    docker_client: Any, stunnel_images: dict[str, ImageInfo]
) -> None:
    """The suite guard runs before apt: a bookworm base built as bullseye fails at once.

    The base is the harness's own bookworm image (no registry needed); the matching
    build (SUITE=bookworm on it) needs the Debian mirror and is left to `images build`.
    """
    from docker.errors import BuildError

    docker_dir = Path(docker_images.__file__).resolve().parents[2] / "docker"
    with pytest.raises(BuildError) as caught:
        docker_client.images.build(
            path=str(docker_dir),
            buildargs={"SUITE": "bullseye", "BASE": stunnel_images["bookworm"].image_id},
            network_mode="none",
            rm=True,
            forcerm=True,
        )
    assert "base image is Debian 'bookworm', not 'bullseye'" in "".join(
        str(entry.get("stream", "")) for entry in caught.value.build_log
    )
