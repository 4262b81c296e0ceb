from __future__ import annotations

from pathlib import Path

import pytest

from harness.pki import TestPKI
from harness.profiles import Profile, load_profile


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI.create(tmp_path_factory.mktemp("certify-pki"))


@pytest.fixture(scope="session")
def guide() -> Profile:
    return load_profile("stunnel-guide-2017")


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
