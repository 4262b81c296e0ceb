"""Fixtures for the stunnel-docker tests: engine, images, run ids, leak checks.

Without a Docker engine (or without the images) these tests skip with the reason;
with CI=true they fail instead, because a green CI must mean real stunnel ran.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest
from stunnel_docker_kit import EchoServer

from harness.backends import docker_images
from harness.backends.docker_images import LABEL_RUN, ImageInfo

IN_CI = os.environ.get("CI") == "true"
SUITE_NAMES = tuple(docker_images.SUITES)
#: Every run id of this test session starts with this, so leaks are attributable.
SESSION_PREFIX = f"pytest-{uuid.uuid4().hex[:8]}"


def unavailable(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the docker tests must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    status = docker_images.probe_engine()
    if not status.available:
        unavailable(f"{status.reason}; start dockerd (FIXS_DOCKER=1 scripts/ci-services)")
    client = docker_images.connect()
    try:
        yield client
        leftovers = [
            c.name
            for c in docker_images.harness_containers(client)
            if (c.labels or {}).get(LABEL_RUN, "").startswith(SESSION_PREFIX)
        ]
        assert not leftovers, f"containers leaked by this test session: {leftovers}"
    finally:
        client.close()


@pytest.fixture(scope="session")
def stunnel_images(docker_client: Any) -> dict[str, ImageInfo]:
    """All three images; skip (fail in CI) with the build command when one is missing."""
    present = {info.suite: info for info in docker_images.list_images(docker_client)}
    missing = [name for name in SUITE_NAMES if name not in present]
    if missing:
        unavailable(
            f"stunnel images missing: {', '.join(missing)}; "
            "build them with `fixs-harness images build`"
        )
    return present


@pytest.fixture
def run_id(docker_client: Any) -> Iterator[str]:
    """A fresh run id; the test fails if a container of this run outlives it."""
    rid = f"{SESSION_PREFIX}-{uuid.uuid4().hex[:8]}"
    yield rid
    left = docker_images.harness_containers(docker_client, rid)
    names = [c.name for c in left]
    for container in left:  # clean up so one leak does not cascade
        container.remove(force=True)
    assert not names, f"containers left behind by run {rid}: {names}"


@pytest.fixture
def echo_server() -> Iterator[EchoServer]:
    server = EchoServer()
    try:
        yield server
    finally:
        server.close()
