"""Our refusals read like stunnel's: the same bad configs run through the real
stunnel binary give the same message (and stunnel, too, refuses to start)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from harness.stunnelconf import ConfigError, parse_config, resolve
from tests.tunnel.kit import require_stunnel

BAD = {
    "unknown-option": "foreground = yes\n[s]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\nbogus = 1\n",
    "bad-bool": "foreground = yes\n[s]\nclient = maybe\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n",
    "bad-version": "foreground = yes\n[s]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\nsslVersion = TLSv1.9\n",
    "bad-socket-option": "foreground = yes\n[s]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\nsocket = l:TCP_FOO=1\n",
    "engine-in-service": "foreground = yes\n[s]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\nengine = capi\n",
    "wrapped-ciphers": "foreground = yes\n[s]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\nciphers = DHE-RSA-\nAES256-SHA256\n",
    "checkip-without-verify": "foreground = yes\n[s]\nclient = yes\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\ncheckIP = 127.0.0.1\n",
    "verify-without-ca": "foreground = yes\n[s]\nclient = yes\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\nverifyChain = yes\n",
    "server-without-cert": "foreground = yes\n[s]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n",
    "one-endpoint": "foreground = yes\n[s]\nclient = yes\naccept = 127.0.0.1:0\n",
    "version-range": "foreground = yes\n[s]\nclient = yes\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\nsslVersionMin = TLSv1.3\nsslVersionMax = TLSv1.2\n",
}

_STUNNEL_ERR = re.compile(r"^\[!\] (.*)$", re.M)


def _stunnel_error(path: Path) -> str:
    binary = require_stunnel()
    assert binary.check().ok
    proc = subprocess.run(["stunnel", str(path)], capture_output=True, text=True, timeout=20)
    assert proc.returncode != 0, "stunnel must refuse this config"
    errors = [
        e
        for e in _STUNNEL_ERR.findall(proc.stderr + proc.stdout)
        if "Configuration failed" not in e
    ]
    assert errors, proc.stderr
    return errors[0]


@pytest.mark.stunnel
@pytest.mark.parametrize("name", sorted(BAD))
def test_same_refusal_as_stunnel(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.conf"
    path.write_text(BAD[name])
    theirs = _stunnel_error(path)
    with pytest.raises(ConfigError) as exc:
        resolve(parse_config(BAD[name], path=str(path)))
    ours = str(exc.value)
    # stunnel: "FILE:LINE: "opt = v": text" or "Service [s]: text"; ours carries a line always
    theirs_text = theirs.split(": ", 1)[1] if theirs.startswith(str(path)) else theirs
    assert theirs_text in ours, f"stunnel: {theirs!r}\nours:    {ours!r}"
    if theirs.startswith(str(path)):
        assert ours.startswith(theirs.split('"', 1)[0]), "same file:line as stunnel"
