"""The stunnel manager's pure parts (readiness, errors, config, registry) and the
stunnel-local backend on top of it, with a real stunnel.

Each positive case has its negative control next to it: a bound line whose port is
free is not ready; an ended process is a failure even with every service bound; a
discarded item is not stopped; a bad config fails promptly (the readiness timeout is
set far beyond the test's budget, so only early-exit detection can produce the
error).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.backends import stunnel_process
from harness.backends.base import Registry, TunnelStartError
from harness.backends.stunnel_local import LocalStunnelBackend
from harness.backends.stunnel_process import (
    Failed,
    Observation,
    Ready,
    StunnelRun,
    StunnelStartError,
    Waiting,
    accept_services,
    check_loopback,
    judge_start,
    last_step,
    port_held,
    prepare,
    wait_ready,
)
from harness.errors import HarnessError
from harness.stunnelconf import parse_config
from harness.stunnelconf.rewrite import PROCESS_GLOBALS, RUNNER_OWNED, own_process
from tests.backends.kit import server_files

NEVER = 3600.0  # a readiness timeout no test waits out

LOG = """\
2026.11.27 05:30:21 LOG5[ui]: Configuration successful
2026.11.27 05:30:21 LOG6[ui]: Service [FIX server] (FD=8) bound to 127.0.0.1:46791
2026.11.27 05:30:21 LOG6[ui]: Service [v6] (FD=9) bound to ::1:7000
2026.11.27 05:30:21 LOG6[ui]: Accepting new connections
"""

FAILED = """\
[.] Reading configuration from file /run/x/server.stunnel.conf
[ ] Initializing service [srv]
[!] Service [srv]: Either "verifyChain" or "verifyPeer" has to be enabled
[!] Configuration failed
[ ] Deallocating section [srv]
"""

#: The same failure after the log is set up (``LOG3[ui]``), stunnel 5.68 style.
FAILED_IN_LOG = """\
2026.11.27 05:30:21 LOG5[ui]: stunnel 5.68 on x86_64-pc-linux-gnu
2026.11.27 05:30:21 LOG3[ui]: Error binding service [srv] to 127.0.0.1:7000
2026.11.27 05:30:21 LOG3[ui]: bind: Address already in use (98)
"""


def held(_address: tuple[str, int]) -> bool:
    return True


def free(_address: tuple[str, int]) -> bool:
    return False


# -- readiness ----------------------------------------------------------------------


def test_ready_when_every_service_is_bound_and_held() -> None:
    verdict = judge_start(Observation(LOG), ["FIX server", "v6"], held)
    assert verdict == Ready({"FIX server": [("127.0.0.1", 46791)], "v6": [("::1", 7000)]})


def test_bound_line_with_a_free_port_is_not_ready() -> None:
    """Negative control of the port half: the log line alone is not readiness."""
    verdict = judge_start(Observation(LOG), ["FIX server"], free)
    assert verdict == Waiting(("FIX server (its port 127.0.0.1:46791 is free)",))


def test_missing_bound_line_is_not_ready() -> None:
    verdict = judge_start(Observation(LOG), ["FIX server", "other"], held)
    assert verdict == Waiting(("other",))


def test_an_ended_process_fails_even_with_every_service_bound() -> None:
    verdict = judge_start(Observation(LOG, ended=True, exit_code=-9), ["FIX server"], held)
    assert verdict == Failed("exited during start-up (killed by signal SIGKILL)", ())


def test_an_ended_run_without_a_status_says_so() -> None:
    """A container removed under us has ended with no exit status: not "still running"."""
    verdict = judge_start(Observation(LOG, ended=True), ["FIX server"], held)
    assert verdict == Failed("exited during start-up (exit status unknown)", ())


def test_configuration_failed_fails_while_still_running() -> None:
    verdict = judge_start(Observation(FAILED), ["srv"], held)
    assert isinstance(verdict, Failed)
    assert verdict.summary == "refused its config (still running)"


def test_no_services_ready_on_configuration_successful_only() -> None:
    assert judge_start(Observation(LOG), [], held) == Ready(
        {"FIX server": [("127.0.0.1", 46791)], "v6": [("::1", 7000)]}
    )
    assert judge_start(Observation("[ ] Initializing\n"), [], held) == Waiting(("start-up",))


# -- error lines and the start error ------------------------------------------------


def test_error_lines_are_stunnels_own_words() -> None:
    verdict = judge_start(Observation(FAILED, ended=True, exit_code=1), ["srv"], held)
    assert isinstance(verdict, Failed)
    assert verdict.errors == (
        'Service [srv]: Either "verifyChain" or "verifyPeer" has to be enabled',
        "Configuration failed",
    )
    log_errors = judge_start(Observation(FAILED_IN_LOG, ended=True, exit_code=1), ["srv"], held)
    assert isinstance(log_errors, Failed)
    assert log_errors.errors == (
        "Error binding service [srv] to 127.0.0.1:7000",
        "bind: Address already in use (98)",
    )
    # negative control: a healthy log has no error line
    ended = judge_start(Observation(LOG, ended=True, exit_code=0), ["srv"], held)
    assert isinstance(ended, Failed) and ended.errors == ()


def test_start_error_message_and_fields() -> None:
    err = StunnelStartError(
        "server", "exited during start-up (exited with status 1)", FAILED, 1, ["a", "b"]
    )
    assert isinstance(err, TunnelStartError)
    assert str(err) == (
        "stunnel [server] exited during start-up (exited with status 1): a; b"
        " (last step: Initializing service [srv])"
    )
    assert err.log == FAILED and err.exit_code == 1 and err.errors == ("a", "b")
    assert err.tail(2) == "[!] Configuration failed\n[ ] Deallocating section [srv]"
    bare = StunnelStartError("s", "not ready after 1 s (waiting for: x)", "", None, [])
    assert str(bare).endswith(": no error line in the log")


MISSING_CERT = """\
[ ] Initializing service [FIX-server]
[ ] Loading certificate from file: /run/x/server.pem
[!] error queue: ../ssl/ssl_rsa.c:450: error:0A080002:SSL routines::system lib
[!] Service [FIX-server]: Failed to initialize TLS context
[!] Configuration failed
"""


def test_last_step_names_what_stunnel_was_doing() -> None:
    assert last_step(MISSING_CERT) == "Loading certificate from file: /run/x/server.pem"
    assert last_step(FAILED) == "Initializing service [srv]"
    assert last_step(FAILED_IN_LOG) == "stunnel 5.68 on x86_64-pc-linux-gnu"
    assert last_step(LOG) is None  # negative control: no error, no step


class Scripted(StunnelRun):
    """A stand-in stunnel that shows a fixed sequence of observations."""

    def __init__(self, *observations: Observation, after_wait: Observation | None = None) -> None:
        self.name = "scripted"
        self._observations = list(observations)
        self._after_wait = after_wait
        self.waited = False
        self.stopped = 0

    def observe(self) -> Observation:
        if self.waited and self._after_wait is not None:
            return self._after_wait
        if len(self._observations) > 1:
            return self._observations.pop(0)
        return self._observations[0]

    def wait_exit(self, timeout: float) -> None:
        self.waited = True

    def stop(self) -> None:
        self.stopped += 1


def test_wait_ready_fails_at_once_on_an_early_exit() -> None:
    run = Scripted(Observation(""), Observation(FAILED, ended=True, exit_code=1))
    with pytest.raises(StunnelStartError) as caught:
        wait_ready(run, ["srv"], NEVER)
    assert caught.value.exit_code == 1
    assert "exited during start-up (exited with status 1)" in str(caught.value)
    assert "not ready after" not in str(caught.value)


def test_wait_ready_takes_the_exit_status_after_configuration_failed() -> None:
    run = Scripted(Observation(FAILED), after_wait=Observation(FAILED, ended=True, exit_code=1))
    with pytest.raises(StunnelStartError, match=r"exited with status 1\): Service \[srv\]"):
        wait_ready(run, ["srv"], NEVER)
    assert run.waited


def test_wait_ready_times_out_naming_what_it_waits_for() -> None:
    run = Scripted(Observation(LOG))
    with pytest.raises(StunnelStartError, match=r"not ready after 0.05 s \(waiting for: other\)"):
        wait_ready(run, ["FIX server", "other"], 0.05, held)


# -- the config ---------------------------------------------------------------------

GUIDE_LIKE = """\
; stunnel.conf as a counterparty would write it
output = /var/log/stunnel.log
pid = /var/run/stunnel.pid
setuid = stunnel4
debug = 7

[FIX-acceptor]
accept = 127.0.0.1:0
connect = 127.0.0.1:9878
; a comment with accept = 0.0.0.0:1 is not an option
cert = /run/x/server.pem
debug = 5
[FIX-initiator]
client = yes
accept = 127.0.0.2:0
connect = 127.0.0.1:7777
"""


def test_accept_services() -> None:
    assert accept_services(parse_config(GUIDE_LIKE)) == {
        "FIX-acceptor": "127.0.0.1:0",
        "FIX-initiator": "127.0.0.2:0",
    }


def test_runner_owns_the_process_globals_from_one_list() -> None:
    assert set(RUNNER_OWNED) == {*PROCESS_GLOBALS, "debug"}
    prepared = prepare(parse_config(GUIDE_LIKE, path="guide.conf"))
    glob = prepared.config.global_section
    assert {o.render() for o in glob.options} == {
        "debug = 7",  # the config's own level is kept
        "foreground = yes",
        "syslog = no",
        "pid = ",
    }
    assert prepared.notes == (
        "guide.conf:2: removed 'output = /var/log/stunnel.log' (the runner owns it)",
        "guide.conf:3: removed 'pid = /var/run/stunnel.pid' (the runner owns it)",
        "guide.conf:4: removed 'setuid = stunnel4' (the runner owns it)",
    )
    assert prepared.services == ("FIX-acceptor", "FIX-initiator")
    # negative control: service sections pass through untouched
    config = parse_config(GUIDE_LIKE, path="guide.conf")
    assert prepared.config.services == config.services
    # idempotent: the runner's own output owns nothing more
    again = own_process(prepared.config)
    assert again.config == prepared.config and again.notes == ()


def test_debug_is_info_when_the_config_sets_none() -> None:
    text = "[s]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:1\n"
    assert prepare(parse_config(text)).config.global_section.value("debug") == "info"


@pytest.mark.parametrize("accept", ["127.0.0.1:0", "127.0.0.2:7777", "[::1]:0", "localhost:0"])
def test_loopback_accept_allowed(accept: str) -> None:
    check_loopback(parse_config(f"[s]\naccept = {accept}\nconnect = 127.0.0.1:1\n"))


@pytest.mark.parametrize("accept", ["7777", "0.0.0.0:7777", "192.168.153.32:7777", ":::7777"])
def test_non_loopback_accept_refused(accept: str) -> None:
    config = parse_config(f"[s]\naccept = {accept}\nconnect = 127.0.0.1:1\n", path="x.conf")
    with pytest.raises(
        HarnessError, match=r"^x\.conf:2: service \[s\]: accept = .* beyond loopback"
    ):
        check_loopback(config)


# -- the port probe -----------------------------------------------------------------


def test_port_held_by_a_listener_and_free_once_closed() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    address = listener.getsockname()
    try:
        assert port_held(address)
    finally:
        listener.close()
    assert not port_held(address)  # negative control: the same port, closed


# -- the registry -------------------------------------------------------------------


class Item:
    def __init__(self, registry: Registry, fail: bool = False) -> None:
        self.registry = registry
        self.fail = fail
        self.stops = 0
        registry.add(self)

    def stop(self) -> None:
        self.stops += 1
        if self.fail:
            raise RuntimeError("cannot stop")
        self.registry.discard(self)


def test_registry_stops_everything_left_even_when_one_stop_fails() -> None:
    registry = Registry()
    failing, left, done = Item(registry, fail=True), Item(registry), Item(registry)
    done.stop()  # negative control: what was stopped is not stopped again
    registry.stop_all()
    assert (failing.stops, left.stops, done.stops) == (1, 1, 1)
    assert registry.live() == []


def test_the_shared_registry_is_what_the_stop_paths_call() -> None:
    from harness import signals

    assert stunnel_process.REGISTRY.stop_all in signals._aborters


# -- stunnel-local on the manager (real stunnel) ------------------------------------


@pytest.fixture
def backend() -> LocalStunnelBackend:
    backend = LocalStunnelBackend()
    if not backend.check().ok:
        if os.environ.get("CI") == "true":
            pytest.fail(backend.check().reason)
        pytest.skip(backend.check().reason)
    return backend


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return server_files(tmp_path)


def server_conf(files: Path, extra: str) -> str:
    return (
        "[FIX-server]\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n"
        f"cert = {files}/server.pem\nkey = {files}/server.key\n{extra}"
    )


def test_local_bad_config_fails_promptly_in_stunnels_words(
    backend: LocalStunnelBackend, files: Path
) -> None:
    config = parse_config(server_conf(files, "checkIP = 127.0.0.1\n"))
    with pytest.raises(StunnelStartError) as caught:
        backend.start(config, files, label="server", timeout=NEVER)
    err = caught.value
    assert err.exit_code == 1
    assert 'Service [FIX-server]: Either "verifyChain" or "verifyPeer" has to be enabled' in (
        err.errors
    )
    assert str(err).startswith("stunnel [server] exited during start-up (exited with status 1)")
    assert (files / "server.log").read_text() == err.log
    assert stunnel_process.REGISTRY.live() == []


def test_local_missing_file_is_named_in_the_error(
    backend: LocalStunnelBackend, files: Path
) -> None:
    (files / "server.pem").unlink()
    with pytest.raises(StunnelStartError, match=r"last step: Loading certificate .*server\.pem"):
        backend.start(parse_config(server_conf(files, "")), files, label="server", timeout=NEVER)
    assert stunnel_process.REGISTRY.live() == []


def test_local_good_config_is_ready_and_stopped(backend: LocalStunnelBackend, files: Path) -> None:
    """Negative control: with verifyPeer the same config starts."""
    extra = f"checkIP = 127.0.0.1\nverifyPeer = yes\nCAfile = {files}/server.pem\n"
    with backend.start(parse_config(server_conf(files, extra)), files, label="server") as tunnel:
        address = tunnel.address("FIX-server")
        assert address[0] == "127.0.0.1" and port_held(address)
        assert len(stunnel_process.REGISTRY.live()) == 1
        assert "pid = \n" in (files / "server.conf").read_text()
    assert stunnel_process.REGISTRY.live() == []
    assert not port_held(address)


def test_local_non_loopback_refused_before_any_process(
    backend: LocalStunnelBackend, files: Path
) -> None:
    config = parse_config(server_conf(files, "").replace("127.0.0.1:0", "7777"))
    with pytest.raises(HarnessError, match="beyond loopback"):
        backend.start(config, files, label="server")
    assert not (files / "server.log").exists()
    assert stunnel_process.REGISTRY.live() == []


CHILD = """
import os, sys
from collections.abc import Iterator
from pathlib import Path
from harness.backends.stunnel_local import LocalStunnelBackend
from harness.stunnelconf import parse_config

files, how = Path(sys.argv[1]), sys.argv[2]
conf = (files / "server.conf.in").read_text()
tunnel = LocalStunnelBackend().start(parse_config(conf), files, label="child")
print(tunnel.pid, flush=True)
if how == "os._exit":
    os._exit(0)  # no atexit: what the registry's atexit hook would have stopped stays
sys.exit(0)  # a normal exit without stop(): the registry's atexit hook stops it
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("how", ["exit", "os._exit"])
def test_interpreter_exit_stops_what_was_left_running(
    backend: LocalStunnelBackend, files: Path, how: str
) -> None:
    """A child starts stunnel and exits without stopping it: atexit stops it.
    Negative control: ``os._exit`` skips atexit, and the stunnel is still there."""
    (files / "server.conf.in").write_text(server_conf(files, ""))
    (files / "child.py").write_text(CHILD)
    out = subprocess.run(
        [sys.executable, str(files / "child.py"), str(files), how],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    pid = int(out.stdout.split()[0])
    try:
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _alive(pid) is (how == "os._exit")
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)


# -- a start that finishes after the first stop signal ------------------------------


@pytest.fixture
def stopping() -> Iterator[None]:
    """The process state right after a first SIGTERM (without running the aborters,
    which would stop what other code in this worker registered)."""
    from harness import signals

    signals.reset_for_tests()
    signals._first.append(signal.SIGTERM)
    signals.STOPPING.set()
    try:
        yield
    finally:
        signals.reset_for_tests()


def test_wait_ready_is_interrupted_not_a_start_failure(stopping: None) -> None:
    """A stunnel the clean-up kills during start-up reads as the interruption it is
    (the same observation without a signal is a start failure, tests above)."""
    from harness.signals import Interrupted

    with pytest.raises(Interrupted, match="SIGTERM"):
        wait_ready(Scripted(Observation(LOG, ended=True, exit_code=-15)), ["FIX server"], 5.0)


def test_registry_registers_before_a_stop_signal() -> None:
    """Negative control for the next test: no signal, the item is kept and running."""
    registry = Registry()
    item = Item(registry)
    assert item.stops == 0 and registry.live() == [item]


def test_an_item_registered_after_the_stop_signal_is_stopped_at_once(stopping: None) -> None:
    """The aborters stopped what was registered when the signal came; a start under way
    on a worker thread registers later and must not outlive the run."""
    from harness.signals import Interrupted

    registry = Registry()
    with pytest.raises(Interrupted, match="SIGTERM"):
        Item(registry)
    assert registry.live() == []


def _stunnels_of(conf: Path) -> list[str]:
    found = subprocess.run(["pgrep", "-f", str(conf)], capture_output=True, text=True)
    return found.stdout.split()


def test_a_host_stunnel_started_while_stopping_is_not_left_running(
    backend: LocalStunnelBackend, files: Path, stopping: None
) -> None:
    from harness.backends.stunnel_local import HostStunnel
    from harness.signals import Interrupted

    conf = files / "late.conf"
    conf.write_text("foreground = yes\n" + server_conf(files, ""))
    with pytest.raises(Interrupted):
        HostStunnel("late", ["stunnel", str(conf)], files / "late.log")
    assert _stunnels_of(conf) == []
    assert stunnel_process.REGISTRY.live() == []


def test_a_host_stunnel_started_normally_runs(backend: LocalStunnelBackend, files: Path) -> None:
    """Negative control: the same start with no signal leaves a running stunnel (which
    this test then stops)."""
    from harness.backends.stunnel_local import HostStunnel

    conf = files / "late.conf"
    conf.write_text("foreground = yes\n" + server_conf(files, ""))
    run = HostStunnel("late", ["stunnel", str(conf)], files / "late.log")
    try:
        assert _stunnels_of(conf) != []
    finally:
        run.stop()
    assert _stunnels_of(conf) == []
