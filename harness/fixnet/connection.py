"""One TCP connection driven by one sans-IO :class:`~harness.fix.session.Session`.

Theory of operation: a pump task reads from the socket, feeds the engine, runs its
timers at :meth:`Session.next_deadline`, writes whatever the engine queued and
records both directions in the transcript. Messages a conversation script may want
to see (accepted application messages and session messages) go to ``inbound``; when
the connection ends, ``inbound`` receives a :class:`Closed` marker. Every wait has a
timeout; ``abort()`` and the pump's ``finally`` make sure the socket is closed on
every path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.fix.codec import ADMIN_MSG_TYPES, Message
from harness.fix.events import (
    ApplicationMessage,
    Disconnect,
    Event,
    GarbledMessage,
    LoggedOn,
    LoggedOut,
    LogonRefused,
    MessageReceived,
)
from harness.fix.session import Session, SessionState
from harness.fixnet.transcript import Transcript

log = logging.getLogger("harness.fixnet")

READ_SIZE = 65536


@dataclass(frozen=True)
class Closed:
    """End-of-connection marker in ``Connection.inbound``."""

    reason: str
    graceful: bool


InboundItem = Message | Closed


def discard_unread(reader: asyncio.StreamReader) -> None:
    """Drop what the peer sent that nobody will read any more.

    A closed connection's StreamReader keeps its buffer (up to a few hundred KiB of a
    hostile peer's megabyte Logon) for as long as the connection object is kept, and
    the acceptor keeps every connection for its report. StreamReader has no public way
    to discard its buffer, hence the guarded private access.
    """
    buffer = getattr(reader, "_buffer", None)
    if isinstance(buffer, bytearray):
        buffer.clear()


class Connection:
    """A FIX session engine attached to an asyncio stream pair.

    Args:
        session: the engine (its role decides who logs on).
        reader, writer: the connected streams.
        transcript: where messages in and out are recorded, redacted.
        on_application: called for each accepted application message (the mock
            acceptor answers orders here); it may queue messages on the session.
        on_event: called for every engine event (e.g. to log refusals).
    """

    def __init__(
        self,
        session: Session,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        transcript: Transcript,
        *,
        on_application: Callable[[Connection, Message], None] | None = None,
        on_event: Callable[[Connection, Event], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.session = session
        self.reader = reader
        self.writer = writer
        self.transcript = transcript
        self.inbound: asyncio.Queue[InboundItem] = asyncio.Queue()
        self.logged_on = False
        self.logout_texts: list[str | None] = []
        self.refusals: list[str] = []
        self.application_messages: list[Message] = []
        self.close_reason: str | None = None
        self.graceful = False
        self.error: str | None = None
        self._on_application = on_application
        self._on_event = on_event
        self._clock = clock
        self._closed = asyncio.Event()
        self._abort_requested = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self._pump())
        return self._task

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def wait_closed(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the connection to end; True if it did."""
        try:
            await asyncio.wait_for(self._closed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def flush(self) -> None:
        """Write what the engine queued; record it in the transcript."""
        for msg in self.session.outgoing():
            if self.writer.is_closing():
                self.transcript.record("out", msg, note="not written: connection closed")
            else:
                self.transcript.record("out", msg)
                self.writer.write(msg.raw)

    def drop_outgoing(self, why: str) -> None:
        """Fault injection: record the queued messages as lost instead of writing them."""
        for msg in self.session.outgoing():
            self.transcript.record("out", msg, note=f"not written: {why}")

    def abort(self, why: str = "closed locally") -> None:
        """Drop the TCP connection now (no Logout); the pump winds down."""
        if self.close_reason is None:
            self.close_reason = why
        self._abort_requested = True
        self.writer.transport.abort()

    async def _drain(self) -> None:
        if not self.writer.is_closing():
            with contextlib.suppress(ConnectionError, OSError):
                await asyncio.wait_for(self.writer.drain(), 30)

    def _handle(self, event: Event) -> None:
        if self._on_event is not None:
            self._on_event(self, event)
        if isinstance(event, MessageReceived):
            self.transcript.record("in", event.message)
            if event.message.msg_type in ADMIN_MSG_TYPES:
                self.inbound.put_nowait(event.message)
        elif isinstance(event, GarbledMessage):
            self.transcript.record_garbled(event.raw, event.reason)
        elif isinstance(event, ApplicationMessage):
            self.application_messages.append(event.message)
            self.inbound.put_nowait(event.message)
            if self._on_application is not None:
                self._on_application(self, event.message)
        elif isinstance(event, LoggedOn):
            self.logged_on = True
        elif isinstance(event, LoggedOut):
            self.logout_texts.append(event.text)
        elif isinstance(event, LogonRefused):
            self.refusals.append(event.reason)
        elif isinstance(event, Disconnect):
            if self.close_reason is None:
                self.close_reason = event.reason
            self.graceful = event.graceful
            self.transcript.note(f"session ended: {event.reason}")

    def _process(self) -> None:
        # Even after an abort every event is handled: the engine has already consumed
        # those sequence numbers, and answers queued now are kept for resends.
        while (event := self.session.next_event()) is not None:
            self._handle(event)
        self.flush()

    async def _pump(self) -> None:
        try:
            self._process()
            await self._drain()
            while self.session.state is not SessionState.CLOSED and not self._abort_requested:
                deadline = self.session.next_deadline()
                wait = 1.0 if deadline is None else min(1.0, max(0.0, deadline - self._clock()))
                data: bytes | None = None
                try:
                    data = await asyncio.wait_for(self.reader.read(READ_SIZE), wait + 0.01)
                except TimeoutError:
                    data = None
                except (ConnectionError, OSError) as exc:
                    if self.close_reason is None:
                        self.close_reason = f"connection error: {exc}"
                    data = b""
                if self._abort_requested:
                    break
                if data == b"":
                    self.session.receive_eof()
                elif data:
                    self.session.receive_data(data)
                self.session.check_timers()
                self._process()
                await self._drain()
        except Exception as exc:  # a bug: keep it as data, never leave the socket open
            self.error = f"{type(exc).__name__}: {exc}"
            log.exception("FIX connection pump failed")
        finally:
            with contextlib.suppress(Exception):
                self.flush()
                await self._drain()
            if self._abort_requested:
                self.writer.transport.abort()
            else:
                self.writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.writer.wait_closed(), 2)
            discard_unread(self.reader)
            reason = self.close_reason or "connection closed"
            self.transcript.note(f"disconnected: {reason}")
            self.inbound.put_nowait(Closed(reason, self.graceful))
            self._closed.set()
