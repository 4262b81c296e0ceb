"""harness.cli.lines: the certify summary's lines, coloured only on a terminal and
never wrapped (rich, which drew them before, wrapped at 80 columns off a terminal)."""

from __future__ import annotations

import io

import pytest

from harness.cli.lines import Lines, use_colour


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _no_colour_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)


def test_colour_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    assert use_colour(Tty()) and not use_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_colour(Tty())
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not use_colour(Tty())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert not use_colour(Tty())  # a dumb terminal wins over FORCE_COLOR, as in rich
    monkeypatch.setenv("TERM", "xterm")
    assert use_colour(io.StringIO())


def test_a_line_is_written_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    long = "tls.cipher.required.0xC02C: expected accepted; observed not applicable " * 3
    Lines().print(("NOT-APPLICABLE", "dim"), " ", long, "[not markup]")
    assert out.getvalue() == f"NOT-APPLICABLE {long}[not markup]\n"


def test_colour_codes_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    out = Tty()
    monkeypatch.setattr("sys.stdout", out)
    Lines().print(("COMPLIANT", "green"), " certify server")
    assert out.getvalue() == "\x1b[32mCOMPLIANT\x1b[0m certify server\n"


def test_control_characters_from_the_peer_are_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    # a subject crafted to rewrite the verdict on screen: CR back to the line's start,
    # ESC sequences, BEL
    out = Tty()
    monkeypatch.setattr("sys.stdout", out)
    hostile = "CN=x\rCOMPLIANT \x1b[2K\x07\x9b"
    Lines().print(("NON-COMPLIANT", "red"), " ", hostile, ("\x1b[32m", "bold"))
    written = out.getvalue()
    assert written == (
        "\x1b[31mNON-COMPLIANT\x1b[0m CN=x\\rCOMPLIANT \\x1b[2K\\x07\\x9b\x1b[1m\\x1b[32m\x1b[0m\n"
    )
    # the only raw ESCs are our own colour codes
    assert written.count("\x1b") == 4
