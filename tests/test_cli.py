"""The CLI's own contract: help, version, exit codes."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import COMMAND_MODULES, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert "fixs-harness" in capsys.readouterr().out


def test_no_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2


def test_unknown_command_is_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2


@pytest.mark.parametrize("command", COMMAND_MODULES)
def test_an_unexpected_exception_is_one_line_and_exit_2(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every command runs through main(): a bug anywhere below it is exit 2 (harness
    error) with one line, not a traceback exiting 1 (which reads as non-compliant)."""

    def boom(args: argparse.Namespace) -> int:
        raise KeyError("no such thing\nsecond line")

    def parse(self: argparse.ArgumentParser, argv: object = None) -> argparse.Namespace:
        return argparse.Namespace(command=command, func=boom, verbose=False)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse)
    assert main([command]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("fixs-harness: internal error: KeyError: 'no such thing")
    assert "test_cli.py:" in err and "-v" in err and "Traceback" not in err


def test_the_traceback_only_with_verbose(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    def boom(args: argparse.Namespace) -> int:
        return 1 // 0

    def parse(self: argparse.ArgumentParser, argv: object = None) -> argparse.Namespace:
        return argparse.Namespace(command="dissect", func=boom, verbose=True)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse)
    assert main(["-v", "dissect"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fixs-harness: internal error: ZeroDivisionError")
    assert "Traceback (most recent call last)" in err


def test_a_real_process_with_a_bug_exits_2_without_a_traceback(tmp_path: Path) -> None:
    """The same through a real process: a bug injected below ``dissect``."""
    code = (
        "import harness.dissect as d\n"
        "def bug(*a, **k):\n    raise RuntimeError('injected')\n"
        "d.dissect_pcap = bug\n"
        "from harness.cli import main\n"
        f"raise SystemExit(main(['dissect', {str(tmp_path / 'x.pcap')!r}]))\n"
    )
    (tmp_path / "x.pcap").write_bytes(b"")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("fixs-harness: internal error: RuntimeError: injected")
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_a_command_module_that_fails_to_import_is_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import harness.cli.dissect_cmd as dissect_cmd

    def broken(sub: object) -> None:
        raise ImportError("cannot import name 'x' from 'y'")

    monkeypatch.setattr(dissect_cmd, "register", broken)
    assert main(["dissect", "x.pcap"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("fixs-harness: internal error: ImportError: cannot import name")
    assert err.count("\n") == 1
