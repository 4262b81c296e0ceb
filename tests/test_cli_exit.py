"""harness.cli.exit_now: a finished command exits without the interpreter's teardown,
yet nothing an exit owes is lost: buffered output is written, atexit callbacks run
(the clean-up registry is one), the exit code is kept, and a non-daemon thread still
running is waited for (the ordinary exit is taken then)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.child import python

ROOT = Path(__file__).resolve().parents[1]

PROGRAM = """
import atexit, sys, threading, time
from harness.cli import exit_now

class Teardown:
    def __del__(self):
        sys.stdout.write("teardown ran\\n")
        sys.stdout.flush()

kept = Teardown()  # collected only by the interpreter's teardown
atexit.register(lambda: sys.stdout.write("atexit ran\\n"))
sys.stdout.write("buffered, unflushed line\\n")
sys.stderr.write("to stderr\\n")
if sys.argv[1] == "thread":
    def late():
        time.sleep(0.3)
        sys.stdout.write("thread finished\\n")
    threading.Thread(target=late).start()
exit_now(3)
"""


def test_the_fast_exit_keeps_output_atexit_and_code() -> None:
    proc = python("-c", PROGRAM, "plain")
    assert proc.returncode == 3
    assert proc.stdout.splitlines() == ["buffered, unflushed line", "atexit ran"]
    assert proc.stderr == "to stderr\n"


def test_a_running_non_daemon_thread_takes_the_ordinary_exit() -> None:
    # control for the one above: the ordinary exit waits for the thread, and the
    # interpreter's teardown (which the fast exit skips) collects the object
    proc = python("-c", PROGRAM, "thread")
    assert proc.returncode == 3
    lines = proc.stdout.splitlines()
    assert lines[0] == "buffered, unflushed line"
    assert {"thread finished", "atexit ran", "teardown ran"} <= set(lines)


@pytest.mark.parametrize("args", [["--version"], ["no-such-command"]])
def test_the_command_line_still_exits_as_before(args: list[str]) -> None:
    proc = python("-m", "harness", *args)
    assert proc.returncode == (0 if args == ["--version"] else 2)
    assert (proc.stdout + proc.stderr).strip()


def test_a_command_that_returns_goes_through_the_fast_exit_whole(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # python -m harness -> run() -> main() returns -> exit_now: the same output as
    # main() gives in this process, and its code
    from harness.cli import main

    args = ["run", "--list", str(ROOT / "scenarios" / "guide")]
    assert main(args) == 0
    expected = capsys.readouterr().out
    assert expected.count("\n") >= 5
    proc = python("-m", "harness", *args)
    assert proc.returncode == 0
    assert proc.stdout == expected
