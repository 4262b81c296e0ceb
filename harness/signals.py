"""Stopping on SIGINT, SIGTERM and SIGHUP without leaving anything behind.

Theory of operation
-------------------
Every command, and the pytest plugin, runs under :func:`stop_on_signals`. The
first of SIGINT, SIGTERM or SIGHUP raises :class:`Interrupted` in the main thread
(a ``KeyboardInterrupt``, so every ``finally``/``with``/``except KeyboardInterrupt``
clean-up path that already serves Ctrl-C serves the other signals too) and sets
:data:`STOPPING`, which worker threads read to give up early. It also stops, at
once, every tunnel process, container and in-process tunnel the harness started
(:func:`abort_everything`), so that scenario items under way in worker threads see
their connections close and finish in a moment instead of waiting out their FIX
timeouts. Clean-up then runs on the normal paths.

A later signal (a second Ctrl-C, or ``timeout`` following its SIGINT with SIGTERM,
or systemd's stop) never interrupts that clean-up: from the first signal on, the
handler only notes the signal and says so on stderr. The handlers stay installed
until the process exits, so a signal that arrives during ``atexit`` clean-up is
noted too instead of killing the process half-way. The exit status is that of the
*first* signal: 128 + its number (130 SIGINT, 143 SIGTERM, 129 SIGHUP).

Where the signal raises matters when the main thread does the work itself (the
pytest plugin runs its items there): raised inside ``subprocess.Popen`` after the
fork, it would leave the new process unregistered, so nothing would stop it. Starting
a process or container and registering it for clean-up is therefore one
:func:`deferred` section: the signal does everything there but raise, and raises
when the section ends.

SIGKILL cannot be caught: containers carry labels for ``fixs-harness images
prune``, stunnel processes run in their own session and die with their pipes.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

#: The signals a harness command treats as "stop now, clean up, report".
STOP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

#: Set by the first stop signal; worker threads check it (see :func:`check_stopping`).
STOPPING = threading.Event()

_first: list[int] = []
_later: list[int] = []
_aborters: list[Callable[[], None]] = []
# re-entrant: the handler runs on the main thread between two bytecodes, maybe while
# that thread holds the lock (stop_reason() during clean-up and a second signal)
_lock = threading.RLock()


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; ``exit_code`` is 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.signame = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.signame}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def exit_code_for(exc: BaseException) -> int:
    """130 for a plain ``KeyboardInterrupt``, 128 + signal for :class:`Interrupted`."""
    return exc.exit_code if isinstance(exc, Interrupted) else 128 + signal.SIGINT


def stop_reason() -> str | None:
    """``"SIGTERM"`` etc. once a stop signal arrived, else None."""
    with _lock:
        return signal.Signals(_first[0]).name if _first else None


def stop_exit_code() -> int | None:
    """128 + the first stop signal's number, None when no stop signal arrived."""
    with _lock:
        return 128 + _first[0] if _first else None


def register_aborter(fn: Callable[[], None]) -> None:
    """Register a function that stops everything of one kind this process started
    (stunnel processes, containers, in-process tunnels). Called once, from the
    signal handler's thread, on the first stop signal; it must not block long."""
    with _lock:
        if fn not in _aborters:
            _aborters.append(fn)


def abort_everything() -> None:
    """Stop everything the registered aborters know of (errors are swallowed: this
    runs from a signal handler, the normal clean-up paths follow)."""
    with _lock:
        aborters = list(_aborters)
    for fn in aborters:
        with contextlib.suppress(Exception):
            fn()


def check_stopping() -> None:
    """Raise :class:`Interrupted` in a worker thread once a stop signal arrived."""
    reason = _first[0] if _first else None
    if reason is not None:
        raise Interrupted(reason)


def note_signal(signum: int) -> bool:
    """Record a stop signal that another mechanism delivered (an asyncio loop's own
    handler, which then cancels its task so the work so far can still be judged).
    The exit status and "interrupted by" follow as for :func:`_handler`; on the first
    signal everything registered is stopped. Returns whether it was the first."""
    with _lock:
        first = not _first
        (_first if first else _later).append(signum)
    if first:
        STOPPING.set()
        threading.Thread(target=abort_everything, name="fixs-abort", daemon=False).start()
    return first


#: How many :func:`deferred` blocks the main thread is in, and the first stop
#: signal that arrived inside them (raised when the outermost one ends).
_defer_depth = 0
_deferred_signal: list[int] = []


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """A main-thread section that a stop signal must not cut in two, such as starting
    a process and registering it for clean-up: a ``KeyboardInterrupt`` raised between
    the two (inside ``subprocess.Popen``, after the fork) would leave the process
    running with nobody to stop it. Inside, the first stop signal does everything but
    raise (``STOPPING`` is set, registered things are stopped); :class:`Interrupted`
    is raised when the outermost section ends, unless an exception is already on its
    way. Elsewhere than in the main thread, the body runs as it is (signals are
    raised in the main thread only)."""
    global _defer_depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _defer_depth += 1
    try:
        yield
    except BaseException:
        _defer_depth -= 1
        if _defer_depth == 0:
            _deferred_signal.clear()  # the exception on its way ends the section
        raise
    _defer_depth -= 1
    if _defer_depth == 0 and _deferred_signal:
        raise Interrupted(_deferred_signal.pop())


def _handler(signum: int, frame: FrameType | None) -> None:
    with _lock:
        first = not _first
        (_first if first else _later).append(signum)
    if not first:
        with contextlib.suppress(Exception):
            print(
                f"fixs-harness: {signal.Signals(signum).name} received; "
                "still cleaning up after the first signal, please wait",
                file=sys.stderr,
                flush=True,
            )
        return
    STOPPING.set()
    # stop the tunnels from a helper thread: a Docker API call must not run inside
    # the handler (it would run on top of whatever the main thread was doing)
    threading.Thread(target=abort_everything, name="fixs-abort", daemon=False).start()
    if _defer_depth:
        _deferred_signal.append(signum)  # raised when the section ends (deferred())
        return
    raise Interrupted(signum)


def install() -> bool:
    """Install the stop handlers (main thread only). Returns False elsewhere."""
    if threading.current_thread() is not threading.main_thread():
        return False
    for sig in STOP_SIGNALS:
        signal.signal(sig, _handler)
    return True


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Run the body with the stop handlers installed.

    On a normal exit the previous handlers are restored. After a stop signal they are
    kept (later signals are only noted) until the process exits; see the module doc.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    with _lock:
        if not _first:  # a new command: a bare Ctrl-C of an earlier one is forgotten
            STOPPING.clear()
    install()
    try:
        yield
    finally:
        if stop_reason() is None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def ignore_further_if_stopped() -> None:
    """After a stop signal, ignore the stop signals for the rest of the process.

    Called when a command has finished its clean-up: the interpreter's own
    finalisation puts Python-level handlers back to the default action, so a second
    signal arriving in the last milliseconds (``timeout`` following its SIGINT with
    SIGTERM) would kill the process with the wrong status; an ignored one cannot
    (SIG_IGN survives finalisation). Nothing of ours runs any more by then but
    ``atexit`` clean-up, which must not be interrupted either."""
    if stop_reason() is None or threading.current_thread() is not threading.main_thread():
        return
    for sig in STOP_SIGNALS:
        with contextlib.suppress(OSError, ValueError):
            signal.signal(sig, signal.SIG_IGN)


def later_signals() -> list[str]:
    """Names of the signals that arrived after the first (noted, not acted on)."""
    with _lock:
        return [signal.Signals(s).name for s in _later]


def reset_for_tests() -> None:
    """Forget a previous stop (pytester runs several sessions in one process)."""
    with _lock:
        _first.clear()
        _later.clear()
        _deferred_signal.clear()
    STOPPING.clear()
