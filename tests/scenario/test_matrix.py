"""Matrix expansion: one variant per profile suite, forced on both sides."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness.errors import LocatedError
from harness.profiles import load_profile
from harness.scenario import CipherExpectation, Matrix, expand_matrix, load_scenario

EXAMPLES = Path(__file__).parent / "examples"


def test_profile_matrix_expands_to_the_certificate_suites() -> None:
    s = load_scenario(EXAMPLES / "cipher-matrix.yaml")
    variants = expand_matrix(s, load_profile("stunnel-guide-2017"))
    assert len(variants) == 12
    assert variants[0].id == "cipher-matrix[0x0067]"
    by_id = {v.id: v for v in variants}
    v = by_id["cipher-matrix[0xC030]"]
    assert v.forced_cipher is not None and v.forced_cipher.openssl == "ECDHE-RSA-AES256-GCM-SHA384"
    assert v.expect.tls is not None and v.expect.tls.cipher == CipherExpectation(codes=(0xC030,))
    assert v.expect.tls.version == "TLSv1.2"
    assert "ciphers = ECDHE-RSA-AES256-GCM-SHA384" in v.server_conf.text
    assert "ciphers = ECDHE-RSA-AES256-GCM-SHA384" in v.client_conf.text
    assert "cert = {pki.server_rsa.pem}" in v.server_conf.text
    ecdsa = by_id["cipher-matrix[0xC02C]"]
    assert "cert = {pki.server_ecdsa.pem}" in ecdsa.server_conf.text
    assert ecdsa.server_conf.location == s.server_conf.location
    assert all(x.matrix is None for x in variants)


def test_scenario_without_matrix_is_its_own_expansion() -> None:
    s = load_scenario(EXAMPLES / "guide-2-psk.yaml")
    assert expand_matrix(s, load_profile("stunnel-guide-2017")) == (s,)


def test_psk_matrix_uses_psk_suites() -> None:
    s = load_scenario(EXAMPLES / "guide-2-psk.yaml")
    s = replace(s, matrix=Matrix((), True, s.source))
    codes = [v.forced_cipher.code for v in expand_matrix(s, load_profile("stunnel-guide-2017"))]  # type: ignore[union-attr]
    assert sorted(codes) == [0x008C, 0x008D, 0x0090, 0x0091]


def test_listed_code_outside_profile_is_located() -> None:
    s = load_scenario(EXAMPLES / "cipher-matrix.yaml")
    s = replace(s, matrix=Matrix((0xC030, 0xC027), False, s.source))
    assert len(expand_matrix(s, load_profile("stunnel-guide-2017"))) == 2
    with pytest.raises(LocatedError, match="0xC027"):
        expand_matrix(s, load_profile("fixs-cipherlist-2021.1"))  # CBC: not in 2021.1
