"""The CLI builds only the parser of the command a run names (start-up), and what
the user sees of that command (help, usage errors) is the same as with every
command registered."""

from __future__ import annotations

import contextlib
import io
import sys

import pytest

from harness.cli import COMMAND_MODULES, build_parser


def _commands(parser: object) -> list[str]:
    sub = next(a for a in parser._actions if a.dest == "command")  # type: ignore[attr-defined]
    return list(sub.choices)


def _run(argv: list[str], parser_argv: list[str] | None) -> tuple[object, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code: object = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            build_parser(parser_argv).parse_args(argv)
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_a_named_command_gets_only_its_parser() -> None:
    assert _commands(build_parser(["certify", "server", "127.0.0.1:1"])) == ["certify"]
    assert _commands(build_parser(["-v", "run", "x.yaml"])) == ["run"]
    # negative controls: no command, an unknown one, or no arguments: every command
    # and the top-level help asked for before the command word
    for argv in ([], ["--version"], ["no-such-command"], None, ["-h", "run"], ["--help", "run"]):
        assert _commands(build_parser(argv)) == list(COMMAND_MODULES)


@pytest.mark.parametrize(
    "argv",
    [
        ["certify", "server", "--help"],
        ["certify", "server"],
        ["certify", "server", "127.0.0.1:1", "--no-such-flag"],
        ["certify", "--help"],
        ["run", "--help"],
        ["-h", "run"],
        ["-v", "--help", "certify"],
        ["dissect"],
    ],
)
def test_what_the_user_sees_is_the_same(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["fixs-harness", *argv])
    monkeypatch.setenv("COLUMNS", "100")
    assert _run(argv, argv) == _run(argv, None)
