"""A corpus of real-world stunnel.conf files: how many ``tunnel --check`` accepts, and
how many real stunnel 5.68 accepts.

Each file (tests/tunnel/corpus/) is checked twice from a directory holding a
generated PKI under the names the files use: by ``fixs-harness tunnel --check`` as a
user runs it, and by starting the host's stunnel on the same file with every
``accept``/``connect``/``redirect`` rewritten to loopback and the process options
(pid, output, setuid, ...) replaced, until it says ``Configuration successful`` or
``Configuration failed``. The test fails when the Python tunnel accepts a file
stunnel refuses (a false accept), or refuses one stunnel accepts other than the
named files that need features it does not implement (exec, redirect, STARTTLS).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from harness.backends.stunnel_local import stunnel_binary
from harness.cli import main
from harness.pki import TestPKI

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.conf"))
#: Files stunnel accepts that need what the Python tunnel refuses (and says so).
NEEDS_STUNNEL = {
    "18-manual-smtp-starttls": "protocol = smtp",
    "19-manual-exec-pppd": "exec",
    "23-redirect-on-failed-auth": "redirect",
}
#: Files stunnel 5.68 itself refuses (the Python tunnel must refuse them too).
STUNNEL_REFUSES = {
    "25-newer-option-timeoutocsp": "TIMEOUTocsp",
    "26-legacy-compression": "compression",
}
_OWNED = re.compile(r"^\s*(pid|output|setuid|setgid|chroot|foreground|syslog|debug)\s*=", re.I)
_ADDR = re.compile(r"^(\s*)(accept|connect|redirect)(\s*=\s*).*$", re.I)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the corpus names, from one generated PKI."""
    root = tmp_path_factory.mktemp("corpus")
    pki = TestPKI.create(root / "pki")
    certs = root / "certs"
    certs.mkdir()
    server, client = pki.leaf("server-rsa"), pki.leaf("client-rsa")
    for name, src in {
        "server.pem": server.pem_path,
        "server.crt": server.cert_path,
        "server.key": server.key_path,
        "server-ecdsa.pem": pki.leaf("server-ecdsa").pem_path,
        "client.pem": client.pem_path,
        "client.crt": client.cert_path,
        "client.key": client.key_path,
        "server.pin.pem": server.pin_path,
        "client.pin.pem": client.pin_path,
        "ca.pem": pki.root_ca_path,
        "chain.pem": pki.chain_path,
        "crl.pem": pki.crl_path,
    }.items():
        shutil.copy(src, certs / name)
    shutil.copytree(pki.capath_dir, certs / "capath")
    shutil.copytree(pki.crl_dir, certs / "crl-dir")
    shutil.copy(pki.psk.path, root / "psk.txt")
    (root / "psk-hex.txt").write_text("clientQA1:00112233445566778899AABBCCDDEEFF00112233\n")
    for path in (*certs.glob("*.key"), root / "psk.txt", root / "psk-hex.txt"):
        path.chmod(0o600)
    return root


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _for_stunnel(text: str, port: int) -> str:
    """Every address to loopback (data only: nothing connects), process options ours."""
    out = ["foreground = yes", "syslog = no", "debug = notice"]
    for line in text.splitlines():
        if _OWNED.match(line):
            continue
        m = _ADDR.match(line)
        if m:
            target = "127.0.0.1:0" if m.group(2).lower() == "accept" else f"127.0.0.1:{port}"
            line = f"{m.group(1)}{m.group(2)}{m.group(3)}{target}"
        out.append(line)
    return "\n".join(out) + "\n"


def stunnel_accepts(binary: str, conf: Path, cwd: Path) -> tuple[bool, str]:
    """Start stunnel on ``conf`` until it judges the configuration; stop it."""
    log = conf.with_suffix(".log")
    with open(log, "wb") as fh:
        proc = subprocess.Popen([binary, str(conf)], cwd=cwd, stdout=fh, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            if "Configuration successful" in text:
                return True, ""
            if "Configuration failed" in text or proc.poll() is not None:
                errors = [ln for ln in text.splitlines() if "[!]" in ln or "LOG3" in ln]
                return False, (errors[0] if errors else text[-200:])
            time.sleep(0.05)
        return False, "no verdict within 15 s"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 20


@pytest.mark.skipif(stunnel_binary() is None, reason="no stunnel binary")
def test_tunnel_check_accepts_what_stunnel_accepts(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = stunnel_binary()
    assert binary is not None
    monkeypatch.chdir(workdir)
    port = _closed_port()
    python_ok: dict[str, bool] = {}
    stunnel_ok: dict[str, tuple[bool, str]] = {}
    messages: dict[str, str] = {}
    for path in CORPUS:
        name = path.stem
        local = workdir / path.name
        shutil.copy(path, local)
        python_ok[name] = main(["tunnel", "--check", str(local)]) == 0
        messages[name] = capsys.readouterr().err.strip()
        rewritten = workdir / f"{name}.stunnel.conf"
        rewritten.write_text(_for_stunnel(path.read_text(), port))
        stunnel_ok[name] = stunnel_accepts(binary, rewritten, workdir)
    accepted_py = sorted(n for n, ok in python_ok.items() if ok)
    accepted_st = sorted(n for n, (ok, _) in stunnel_ok.items() if ok)
    figure = (
        f"corpus: {len(CORPUS)} configs; tunnel --check accepts {len(accepted_py)}, "
        f"stunnel 5.68 accepts {len(accepted_st)}"
    )
    print(figure)
    false_accepts = [n for n in accepted_py if n not in accepted_st]
    assert not false_accepts, {n: stunnel_ok[n][1] for n in false_accepts}
    missing = {
        n: messages[n] for n in accepted_st if n not in accepted_py and n not in NEEDS_STUNNEL
    }
    assert not missing, missing
    for name, feature in NEEDS_STUNNEL.items():
        assert not python_ok[name] and "unsupported by the Python tunnel" in messages[name]
        assert feature.split()[0] in messages[name], messages[name]
    for name, option in STUNNEL_REFUSES.items():
        assert not stunnel_ok[name][0] and option in stunnel_ok[name][1], stunnel_ok[name]
        assert option in messages[name], messages[name]
    # the figure (asserted, so that a change to it is seen)
    assert (len(accepted_py), len(accepted_st)) == (
        len(CORPUS) - len(NEEDS_STUNNEL) - len(STUNNEL_REFUSES),
        len(CORPUS) - len(STUNNEL_REFUSES),
    ), figure
