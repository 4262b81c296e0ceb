from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.pki import TestPKI

from .kit import EchoServer


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    server = EchoServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
