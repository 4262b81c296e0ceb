"""Fixtures for the PKI tests: one PKI per session."""

from __future__ import annotations

import pytest

from harness.pki import TestPKI

OCSP_URL = "http://127.0.0.1:18888"  # only written into certificates; nothing listens


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI.create(tmp_path_factory.mktemp("pki"), ocsp_url=OCSP_URL)
