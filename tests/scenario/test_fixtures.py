"""Scenario placeholders resolve against a real test PKI, and the resolved text
parses as stunnel.conf with errors pointing into the scenario file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.errors import LocatedError
from harness.pki import TestPKI
from harness.profiles import load_profile
from harness.scenario import (
    EmbeddedConf,
    expand_matrix,
    find_placeholders,
    load_scenario,
    resolve_placeholders,
    scenario_files,
)
from harness.scenario.fixtures import pki_placeholder_values
from harness.stunnelconf.parser import parse_config

EXAMPLES = Path(__file__).parent / "examples"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI.create(tmp_path_factory.mktemp("pki"))


def test_every_example_resolves_and_parses(pki: TestPKI) -> None:
    values = pki_placeholder_values(pki)
    for path in scenario_files([EXAMPLES]):
        scenario = load_scenario(path)
        for variant in expand_matrix(scenario, load_profile(scenario.profile)):
            for conf in (variant.server_conf, variant.client_conf):
                for placeholder in find_placeholders(conf):
                    assert (
                        os.path.exists(values[placeholder.name]) or placeholder.namespace == "psk"
                    )
                text = resolve_placeholders(conf, values)
                assert "{" not in text
                config = parse_config(text, path=conf.location.path, first_line=conf.location.line)
                assert config is not None


def test_unknown_option_is_reported_at_its_scenario_line(tmp_path: Path, pki: TestPKI) -> None:
    source = (EXAMPLES / "guide-1a-mutual-leaf-pinning.yaml").read_text()
    broken = source.replace(
        "      verifyPeer = yes\n      CAfile = {pki.client_rsa.pin}",
        "      verifyPeers = yes\n      CAfile = {pki.client_rsa.pin}",
        1,
    )
    assert broken != source
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    scenario = load_scenario(path)  # the YAML is fine; the stunnel text is not
    conf: EmbeddedConf = scenario.server_conf
    text = resolve_placeholders(conf, pki_placeholder_values(pki))
    with pytest.raises(LocatedError) as exc:
        parse_config(text, path=conf.location.path, first_line=conf.location.line)
    expected_line = next(
        n for n, line in enumerate(broken.splitlines(), 1) if "verifyPeers" in line
    )
    assert exc.value.location == type(exc.value.location)(str(path), expected_line)
