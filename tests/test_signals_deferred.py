"""harness.signals.deferred: a stop signal does not cut a process start from its
registration for clean-up.

The pytest plugin runs its items on the main thread, where a stop signal raises; one
landing inside ``subprocess.Popen`` after the fork left the new stunnel running with
nobody to stop it (seen under load: an orphaned client stunnel after SIGHUP). Inside
``deferred()`` the signal does everything but raise, and raises when the section
ends. Each case runs in a fresh interpreter (its own signal state); the control shows
the same start without the section does leave the process behind.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from tests.child import python

ROOT = Path(__file__).resolve().parents[1]
STUNNEL = shutil.which("stunnel") or shutil.which("stunnel4")

SECTION = """
import os, signal, time
from harness import signals
signals.install()
try:
    with signals.deferred():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
        print("inside", signals.STOPPING.is_set())
    print("not raised")
except signals.Interrupted as exc:
    print("raised at the end", exc.signame)
# an exception on its way ends the section: nothing is raised later
signals.reset_for_tests()
try:
    with signals.deferred():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)
        raise ValueError("own error")
except ValueError:
    print("own error kept")
with signals.deferred():
    pass
print("next section quiet")
"""

START = """
import os, signal, subprocess, sys, time
from pathlib import Path
from harness import signals
from harness.backends import stunnel_local

if sys.argv[1] == "without":
    import contextlib
    signals.deferred = contextlib.nullcontext  # the control: the start as it was
started = []

class SignalAfterFork(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        started.append(self.pid)
        os.kill(os.getpid(), signal.SIGTERM)  # lands before Popen returns
        time.sleep(0.2)

subprocess.Popen = SignalAfterFork
signals.install()
work = Path(sys.argv[2])
conf = work / "c.conf"
conf.write_text("foreground = yes\\n[c]\\nclient = yes\\naccept = 127.0.0.1:0\\n"
                "connect = 127.0.0.1:9\\n")
try:
    stunnel_local.HostStunnel("c", [sys.argv[3], str(conf)], work / "c.log")
    print("no interruption")
except KeyboardInterrupt:
    print("interrupted")
time.sleep(0.5)
print("pid", started[0])
"""


def test_the_signal_is_raised_when_the_section_ends() -> None:
    proc = python("-c", SECTION)
    assert proc.stdout.splitlines() == [
        "inside True",
        "raised at the end SIGTERM",
        "own error kept",
        "next section quiet",
    ], proc.stderr


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


@pytest.mark.skipif(STUNNEL is None, reason="needs stunnel")
@pytest.mark.parametrize("mode", ["with", "without"])
def test_a_signal_inside_popen_leaves_no_stunnel(mode: str, tmp_path: Path) -> None:
    assert STUNNEL is not None
    proc = python("-c", START, mode, str(tmp_path), STUNNEL)
    lines = proc.stdout.splitlines()
    assert lines[0] == "interrupted", proc.stdout + proc.stderr
    pid = int(lines[-1].split()[1])
    try:
        if mode == "with":
            assert not _alive(pid), "the stunnel started under the signal is still running"
        else:
            # control: without the section, the start is cut and the process orphaned
            assert _alive(pid)
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
