"""``stunnel_file:`` and ``section:`` in scenarios, and where relative paths resolve.

Rules under test: a path inside a stunnel file resolves against that file's
directory; a path inside embedded text resolves against the scenario file's
directory; never against the current directory. Errors inside a referenced file
name that file and its line. Each positive run (real Python tunnels on loopback)
has a negative control that fails through the same code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import LocatedError
from harness.pki import TestPKI
from harness.scenario import load_scenario

FIX = """fix:
  sender_comp_id: ME
  target_comp_id: THEM
expect:
  auth: mutual-certificate
  fix:
    logon: accepted
  messages: 2
"""


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TestPKI:
    return TestPKI.create(tmp_path_factory.mktemp("pki"))


def _conf_dirs(tmp: Path, pki: TestPKI, *, server_pin: str = "server-rsa") -> None:
    (tmp / "confs" / "keys").mkdir(parents=True)
    shutil.copy(pki.leaf("server-rsa").pem_path, tmp / "confs" / "keys" / "server.pem")
    shutil.copy(pki.leaf("client-rsa").pin_path, tmp / "confs" / "keys" / "client.pin.pem")
    (tmp / "confs" / "server.conf").write_text(
        "; theirs\n[a]\naccept = 1\nconnect = 2\ncert = keys/server.pem\n\n"
        "[fix-server]\naccept = 7777\nconnect = 3003\ncert = keys/server.pem\n"
        "verifyPeer = yes\nCAfile = keys/client.pin.pem\nsslVersion = TLSv1.2\n"
    )
    (tmp / "scen" / "mine").mkdir(parents=True)
    shutil.copy(pki.leaf("client-rsa").pem_path, tmp / "scen" / "mine" / "client.pem")
    shutil.copy(pki.leaf(server_pin).pin_path, tmp / "scen" / "mine" / "server.pin.pem")


def _scenario(tmp: Path, scenario_id: str = "files") -> Path:
    path = tmp / "scen" / f"{scenario_id}.yaml"
    path.write_text(
        f"id: {scenario_id}\n"
        "title: files on disk\n"
        "tunnels:\n"
        "  server:\n"
        "    stunnel_file: ../confs/server.conf\n"
        "    section: fix-server\n"
        "  client:\n"
        "    stunnel: |\n"
        "      [c]\n"
        "      client = yes\n"
        "      accept = 2002\n"
        "      connect = 192.168.153.32:7777\n"
        "      cert = mine/client.pem\n"
        "      verifyPeer = yes\n"
        "      CAfile = mine/server.pin.pem\n" + FIX
    )
    return path


def _run(cwd: Path, scenario: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", str(scenario), "--report-dir", "out"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_paths_resolve_against_the_files_not_the_cwd(tmp_path: Path, pki: TestPKI) -> None:
    _conf_dirs(tmp_path, pki)
    scenario = _scenario(tmp_path)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    proc = _run(elsewhere, scenario)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # the config the tunnel ran names the files by absolute path
    ran = next((elsewhere / "out" / "artifacts").rglob("server.conf")).read_text()
    assert f"cert = {tmp_path / 'confs' / 'keys' / 'server.pem'}" in ran
    assert "[a]" not in ran  # only the chosen section


def test_negative_control_wrong_pin_fails(tmp_path: Path, pki: TestPKI) -> None:
    _conf_dirs(tmp_path, pki, server_pin="other-server")
    proc = _run(tmp_path, _scenario(tmp_path))
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_an_error_in_the_referenced_file_names_its_line(tmp_path: Path, pki: TestPKI) -> None:
    _conf_dirs(tmp_path, pki)
    conf = tmp_path / "confs" / "server.conf"
    conf.write_text(conf.read_text() + "bogusOption = 1\n")
    proc = _run(tmp_path, _scenario(tmp_path))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["results"][0]["error"] == (
        f'{conf}:14: "bogusOption = 1": Specified option name is not valid here'
    )


def test_missing_file_missing_section_and_both_sources(tmp_path: Path, pki: TestPKI) -> None:
    _conf_dirs(tmp_path, pki)
    scenario = _scenario(tmp_path)
    text = scenario.read_text()
    scenario.write_text(text.replace("../confs/server.conf", "../confs/nope.conf"))
    with pytest.raises(LocatedError) as err:
        load_scenario(scenario)
    assert err.value.location.line == 5 and "cannot read stunnel file" in err.value.message

    scenario.write_text(text.replace("section: fix-server", "section: fix-srv"))
    loaded = load_scenario(scenario)  # the section is looked up when the text is parsed
    from harness.runner.execute import _conf

    with pytest.raises(LocatedError) as err:
        _conf(loaded.server_conf, {})
    assert "no section [fix-srv]" in err.value.message and "[fix-server]" in err.value.message

    scenario.write_text(
        text.replace("    section: fix-server\n", "    section: x\n    stunnel: |\n      [s]\n")
    )
    with pytest.raises(LocatedError) as err:
        load_scenario(scenario)
    assert "either stunnel (the text) or stunnel_file" in err.value.message
    assert err.value.location.line == 4


def test_non_utf8_stunnel_file_names_file_and_line(tmp_path: Path, pki: TestPKI) -> None:
    _conf_dirs(tmp_path, pki)
    conf = tmp_path / "confs" / "server.conf"
    conf.write_bytes(conf.read_bytes().replace(b"; theirs", b"; th\xe9irs"))
    with pytest.raises(LocatedError) as err:
        load_scenario(_scenario(tmp_path))
    assert err.value.location == type(err.value.location)(str(conf), 1)
    assert "0xE9" in err.value.message


def test_scenario_from_conf_writes_a_scenario_that_runs(tmp_path: Path, pki: TestPKI) -> None:
    _conf_dirs(tmp_path, pki)
    client = tmp_path / "scen" / "mine" / "client.conf"
    client.write_text(
        "[c]\nclient = yes\naccept = 2002\nconnect = 10.1.2.3:7777\ncert = client.pem\n"
        "verifyPeer = yes\nCAfile = server.pin.pem\n"
    )
    env = {**os.environ, "NO_COLOR": "1"}
    out = tmp_path / "kept" / "go-live.yaml"
    args = ["scenario", "from-conf", "--client", str(client)]
    args += ["--server", f"{tmp_path / 'confs' / 'server.conf'}:fix-server"]
    args += ["--sender", "ME", "--target", "THEM", "-o", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "harness", *args], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "stunnel_file: ../scen/mine/client.conf" in out.read_text()
    scenario = load_scenario(out)
    assert scenario.expect.auth is not None
    assert scenario.expect.auth.outcome == "mutual-certificate"
    again = subprocess.run(
        [sys.executable, "-m", "harness", *args], env=env, capture_output=True, text=True
    )
    assert again.returncode == 2 and "--force" in again.stderr
    run = _run(tmp_path, out)
    assert run.returncode == 0, run.stdout + run.stderr
