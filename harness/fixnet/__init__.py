"""asyncio drivers for the FIX engine: mock initiator, mock acceptor, scripts, transcripts.

Theory of operation
-------------------
The protocol lives in :mod:`harness.fix` (sans-IO). This package only moves bytes:
a :class:`~harness.fixnet.connection.Connection` pumps one socket through one
:class:`~harness.fix.session.Session`, records a redacted :class:`Transcript`, and
hands accepted messages to a conversation. :func:`run_initiator` dials, logs on and
runs a :class:`Script`; :class:`MockAcceptor` listens, answers NewOrderSingle with
ExecutionReport and keeps per-session sequence numbers across reconnects;
:func:`run_acceptor_in_thread` wraps it for thread-based callers. Results are data
(:class:`ConversationResult`): a peer that misbehaves is a failure line naming the
script step, never an exception.

Public API::

    settings = SessionSettings.from_mapping({...}, origin=SourceLocation(path, line))
    script = parse_script(text, origin=SourceLocation(path, first_line))
    result = await run_initiator(settings, script, "127.0.0.1", port, timeout=10)
    async with MockAcceptor(settings.swapped()) as acceptor: ...
    with run_acceptor_in_thread(acceptor_settings) as acceptor: acceptor.address
"""

from harness.fix.settings import Credentials, SessionSettings
from harness.fixnet.acceptor import (
    MockAcceptor,
    execution_report,
    run_acceptor_in_thread,
    run_acceptor_script,
)
from harness.fixnet.connection import Closed, Connection
from harness.fixnet.conversation import ConversationResult, run_initiator
from harness.fixnet.script import FieldCheck, Script, Step, default_script, parse_script
from harness.fixnet.transcript import Transcript, TranscriptEntry

__all__ = [
    "Closed",
    "Connection",
    "ConversationResult",
    "Credentials",
    "FieldCheck",
    "MockAcceptor",
    "Script",
    "SessionSettings",
    "Step",
    "Transcript",
    "TranscriptEntry",
    "default_script",
    "execution_report",
    "parse_script",
    "run_acceptor_in_thread",
    "run_acceptor_script",
    "run_initiator",
]
