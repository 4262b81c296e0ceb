"""``fixs-harness fix initiator|acceptor`` as two real processes on 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.cli import main

CLI = [sys.executable, "-m", "harness"]
ENV = {**os.environ, "FIX_PW": "s3cret-pw", "BAD_PW": "WRONG-PW-42"}
COMMON = ["--heartbeat", "5", "--username", "trader1", "--timeout", "10"]


@contextmanager
def acceptor(*extra: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc = subprocess.Popen(
        [
            *CLI,
            "fix",
            "acceptor",
            "--listen",
            "127.0.0.1:0",
            "--sender",
            "SELLSIDE",
            "--target",
            "BUYSIDE",
            "--password-env",
            "FIX_PW",
            "--accept-timeout",
            "20",
            *COMMON,
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()  # bounded: the acceptor prints this first or exits
        assert line.startswith("listening on 127.0.0.1:"), (
            line,
            proc.stderr.read() if proc.stderr else "",
        )
        yield proc, int(line.rsplit(":", 1)[1])
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def initiator(
    port: int, *extra: str, password_env: str = "FIX_PW"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *CLI,
            "fix",
            "initiator",
            "--connect",
            f"127.0.0.1:{port}",
            "--sender",
            "BUYSIDE",
            "--target",
            "SELLSIDE",
            "--password-env",
            password_env,
            *COMMON,
            *extra,
        ],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=60,
    )


def finish(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


def test_initiator_and_acceptor_processes_talk(tmp_path: Path) -> None:
    with acceptor("--orders", "5", "--json", str(tmp_path / "acc.json")) as (acc, port):
        ini = initiator(port, "--orders", "5", "--json", str(tmp_path / "ini.json"))
        code, out, err = finish(acc)
    assert ini.returncode == 0, ini.stdout + ini.stderr
    assert code == 0, out + err
    assert ini.stdout.count("ExecutionReport") == 5 and "OK: every expectation held" in ini.stdout
    assert out.count("NewOrderSingle") == 5
    for text in (
        ini.stdout,
        ini.stderr,
        out,
        err,
        (tmp_path / "ini.json").read_text(),
        (tmp_path / "acc.json").read_text(),
    ):
        assert "s3cret-pw" not in text
    assert "554=***" in ini.stdout and "554=***" in out


def test_bad_password_exits_1_on_both_sides() -> None:
    with acceptor("--orders", "1") as (acc, port):
        ini = initiator(port, "--orders", "1", password_env="BAD_PW")
        code, out, err = finish(acc)
    assert ini.returncode == 1 and code == 1
    assert "58=Invalid credentials" in ini.stdout
    assert "WRONG-PW-42" not in ini.stdout + ini.stderr + out + err


def _junk(port: int) -> None:
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"\x16\x03\x01\x00\x05")  # 5 bytes of junk (a TLS record header)


def test_acceptor_serves_many_sessions_and_ignores_junk(tmp_path: Path) -> None:
    """--sessions 2: a junk connection first (it used to be judged as the session),
    then a good and a bad session, each judged on its own."""
    with acceptor("--orders", "1", "--sessions", "2", "--json", str(tmp_path / "a.json")) as (
        acc,
        port,
    ):
        _junk(port)
        good = initiator(port, "--orders", "1")
        bad = initiator(port, "--orders", "1", password_env="BAD_PW")
        code, out, err = finish(acc)
    assert good.returncode == 0 and bad.returncode == 1
    assert "session 1: OK" in out and "session 2: FAILED" in out, out + err
    assert "2 session(s) judged, 1 failed (session 2)" in out
    assert "ignored connection without a Logon" in out
    assert code == 1
    assert "WRONG-PW-42" not in out + err + (tmp_path / "a.json").read_text()


def test_acceptor_single_session_control() -> None:
    """Control: the default (one session) judges the first Logon session, not the junk."""
    with acceptor("--orders", "1") as (acc, port):
        _junk(port)
        ini = initiator(port, "--orders", "1")
        code, out, err = finish(acc)
    assert ini.returncode == 0 and code == 0, out + err
    assert "OK: every expectation held" in out


def test_script_file_and_failed_expectation(tmp_path: Path) -> None:
    script = tmp_path / "conv.fix"
    script.write_text(
        "connect\nexpect Logon\n# a comment\nsend NewOrderSingle 11=A 55=X 54=1 38=1 40=1\n"
        "expect ExecutionReport 11=B\n"
    )
    with acceptor("--orders", "1") as (acc, port):
        ini = initiator(port, "--script", str(script))
        finish(acc)
    assert ini.returncode == 1
    assert f"{script}:5: expect ExecutionReport 11=B" in ini.stderr


def test_settings_file(tmp_path: Path) -> None:
    settings = tmp_path / "s.yaml"
    settings.write_text(
        "sender_comp_id: BUYSIDE\ntarget_comp_id: SELLSIDE\nbegin_string: FIX.4.4\n"
    )
    with acceptor("--orders", "2") as (acc, port):
        ini = subprocess.run(
            [
                *CLI,
                "fix",
                "initiator",
                "--connect",
                f"127.0.0.1:{port}",
                "--settings",
                str(settings),
                "--username",
                "trader1",
                "--password-env",
                "FIX_PW",
                "--orders",
                "2",
                "--quiet",
            ],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=60,
        )
        code, _, _ = finish(acc)
    assert ini.returncode == 0 and code == 0, ini.stderr
    assert "->" not in ini.stdout  # --quiet


@pytest.mark.parametrize(
    "argv",
    [
        ["fix", "initiator", "--connect", "nohostport", "--sender", "A", "--target", "B"],
        ["fix", "initiator", "--connect", "127.0.0.1:1", "--target", "B"],
        [
            "fix",
            "initiator",
            "--connect",
            "127.0.0.1:1",
            "--sender",
            "A",
            "--target",
            "B",
            "--password-env",
            "NO_SUCH_VAR_XYZ",
        ],
        [
            "fix",
            "initiator",
            "--connect",
            "127.0.0.1:1",
            "--sender",
            "A",
            "--target",
            "B",
            "--script",
            "/nonexistent/x",
        ],
        ["fix", "acceptor", "--listen", "127.0.0.1:99999", "--sender", "A", "--target", "B"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err


def test_bad_script_line_is_located(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "bad.fix"
    script.write_text("connect\n\nfrobnicate now\n")
    argv = [
        "fix",
        "initiator",
        "--connect",
        "127.0.0.1:1",
        "--sender",
        "A",
        "--target",
        "B",
        "--script",
        str(script),
    ]
    assert main(argv) == 2
    assert f"{script}:3: unknown step 'frobnicate'" in capsys.readouterr().err


def test_connection_refused_exits_2() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        ini = initiator(port, "--orders", "1")
    assert ini.returncode == 2 and "cannot connect" in ini.stderr
