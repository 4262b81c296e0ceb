"""The mock FIX acceptor: a TCP listener that runs one session engine per connection.

Theory of operation: for each connection the acceptor reads until the first frame,
picks the configured session whose CompIDs match that Logon (or the first one, whose
engine then refuses the Logon with a CompID problem), and hands the connection to a
:class:`~harness.fixnet.connection.Connection`. Sequence numbers are kept per session
across connections (a reconnect without ResetSeqNumFlag continues them).
NewOrderSingle(D) is answered with ExecutionReport(8) (ExecType/OrdStatus New);
other application messages get BusinessMessageReject(j). Refused Logons are logged
with the Logon rendered redacted (Password(554)=***) and cut to
:data:`REFUSAL_LOGON_CHARS`. A crash in one connection is recorded in ``errors`` and
closes only that connection.

One session, one connection: while a session is logged on, a second Logon with its
CompIDs is refused (``logon_gate``) before it can touch the session's store, so
ResetSeqNumFlag=Y from an intruder resets nothing. Refusals never consume the live
session's MsgSeqNums (the engine sends a refusal Logout without consuming one), and a
first message larger than :data:`~harness.fix.codec.MAX_LOGON_BODY_LENGTH` is refused
from its BodyLength, never buffered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from harness.errors import HarnessError
from harness.fix.codec import (
    MAX_LOGON_BODY_LENGTH,
    FieldValue,
    Frame,
    FrameReader,
    Message,
    parse_message,
)
from harness.fix.events import Event, LogonRefused
from harness.fix.session import Role, SequenceStore, Session, SessionState
from harness.fix.settings import SessionSettings
from harness.fixnet.connection import READ_SIZE, Connection, discard_unread
from harness.fixnet.conversation import ConnectFailed, Conversation, ConversationResult
from harness.fixnet.script import Script
from harness.fixnet.transcript import Observer, Transcript

log = logging.getLogger("harness.fixnet")

#: How much of a refused Logon's rendering is kept in ``refusals`` and the log.
REFUSAL_LOGON_CHARS = 2000


def execution_report(order: Message, n: int, begin_string: str) -> list[tuple[int, FieldValue]]:
    """An ExecutionReport acknowledging ``order`` as New (ExecType=0, OrdStatus=0)."""
    qty = order.get(38) or "0"
    fields: list[tuple[int, FieldValue]] = [(37, f"O-{n}"), (17, f"E-{n}")]
    if begin_string == "FIX.4.2":
        fields.append((20, "0"))  # ExecTransType=New (removed after FIX 4.2)
    fields += [
        (150, "0"),
        (39, "0"),
        (11, order.get(11) or ""),
        (55, order.get(55) or "?"),
        (54, order.get(54) or "1"),
        (38, qty),
        (151, qty),
        (14, "0"),
        (6, "0"),
    ]
    return fields


class MockAcceptor:
    """A FIX acceptor for tests and pre-go-live rehearsals.

    Args:
        sessions: the sessions it accepts (its own CompID as ``sender_comp_id``, the
            initiator's as ``target_comp_id``, the required credentials).
        observer: receives every transcript line, redacted, as it happens.
        lose_reports: fault injection: for each ClOrdID listed, the first
            ExecutionReport is generated (its MsgSeqNum consumed, kept for resends)
            but never written, and the connection is dropped, as if a tunnel died.
        logon_only: connections whose first frame is not a Logon are not handed to
            :meth:`next_connection` (acceptor-side scripts) but logged in ``ignored``
            (``fix acceptor`` behind stunnel: the TLS probes never send FIX).

    Attributes:
        transcripts: one per connection, in order of arrival.
        refusals: why each refused Logon was refused, with the Logon redacted.
        orders: every NewOrderSingle accepted, in order (PossDup resends included
            once, because the engine drops duplicates).
        errors: internal errors (bugs), one per broken connection.
        ignored: with ``logon_only``, one line per connection without a Logon.
        address: the bound (host, port) once started.
    """

    def __init__(
        self,
        sessions: SessionSettings | Sequence[SessionSettings],
        *,
        clock: Any = time.time,
        observer: Observer | None = None,
        lose_reports: Collection[str] = (),
        logon_only: bool = False,
    ) -> None:
        self.sessions: tuple[SessionSettings, ...] = (
            (sessions,) if isinstance(sessions, SessionSettings) else tuple(sessions)
        )
        if not self.sessions:
            raise HarnessError("a mock acceptor needs at least one session")
        self.stores: dict[tuple[str, str], SequenceStore] = {}
        self.transcripts: list[Transcript] = []
        self.refusals: list[str] = []
        self.orders: list[Message] = []
        self.errors: list[str] = []
        self.connections: list[Connection] = []
        self.address: tuple[str, int] | None = None
        self._clock = clock
        self._observer = observer
        self._lose = set(lose_reports)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._new: asyncio.Queue[Connection] = asyncio.Queue()
        self._exec_n = 0
        self._conn_n = 0
        # Serving many sessions: a connection whose first frame is not a Logon
        # (junk, a TLS probe that never reached FIX) is logged in ``ignored`` and
        # never handed to an acceptor-side script.
        self._logon_only = logon_only
        self.ignored: list[str] = []

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        """Listen on ``host:port`` (port 0 = any free port); returns the bound address."""
        try:
            self._server = await asyncio.start_server(self._client, host, port)
        except OSError as exc:
            raise HarnessError(f"cannot listen on {host}:{port}: {exc}") from None
        sock = self._server.sockets[0].getsockname()
        self.address = (sock[0], sock[1])
        return self.address

    async def stop(self) -> None:
        """Stop listening and close every connection; waits (bounded) for them."""
        if self._server is not None:
            self._server.close()
        for conn in self.connections:
            if not conn.closed:
                conn.abort("acceptor stopping")
        for writer in list(self._writers):  # connections still before their first frame
            writer.transport.abort()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=5)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 5)
            self._server = None

    async def __aenter__(self) -> MockAcceptor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def next_connection(self, timeout: float) -> Connection:
        """The next connection that arrives (for acceptor-side scripts)."""
        return await asyncio.wait_for(self._new.get(), timeout)

    # ---- per connection

    def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _identify(
        self, reader: asyncio.StreamReader
    ) -> tuple[bytes, SessionSettings, str | None]:
        """Read up to the first frame; pick the session it names. Returns the bytes read."""
        frames = FrameReader(max_body_length=MAX_LOGON_BODY_LENGTH)
        buf = b""
        limit = max(s.logon_timeout for s in self.sessions)
        deadline = time.monotonic() + limit
        item = None
        while item is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return buf, self.sessions[0], f"no Logon within {limit:g}s"
            try:
                data = await asyncio.wait_for(reader.read(READ_SIZE), remaining)
            except TimeoutError:
                return buf, self.sessions[0], f"no Logon within {limit:g}s"
            except (ConnectionError, OSError) as exc:
                return buf, self.sessions[0], f"connection error: {exc}"
            if not data:
                return buf, self.sessions[0], "eof"
            buf += data
            frames.feed(data)
            item = frames.next()
        if isinstance(item, Frame):
            try:
                first = parse_message(item.raw)
            except ValueError:
                return buf, self.sessions[0], None
            for s in self.sessions:
                if first.get(49) == s.target_comp_id and first.get(56) == s.sender_comp_id:
                    return buf, s, None
        return buf, self.sessions[0], None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._conn_n += 1
        transcript = Transcript(
            label=f"acceptor#{self._conn_n}", observer=self._observer, clock=self._clock
        )
        self.transcripts.append(transcript)
        transcript.note(f"accepted connection from {writer.get_extra_info('peername')}")
        conn: Connection | None = None
        try:
            buf, settings, problem = await self._identify(reader)
            key = (settings.sender_comp_id, settings.target_comp_id)
            store = self.stores.setdefault(key, SequenceStore())
            session = Session(
                settings,
                role=Role.ACCEPTOR,
                store=store,
                clock=self._clock,
                logon_gate=lambda _logon: self._logged_on_elsewhere(key),
            )
            conn = Connection(
                session,
                reader,
                writer,
                transcript,
                on_application=self._answer,
                on_event=self._on_event,
                clock=self._clock,
            )
            self.connections.append(conn)
            session.receive_data(buf)
            if problem == "eof":
                session.receive_eof()
            elif problem is not None:
                conn.abort(problem)
            if self._logon_only and (problem is not None or not _starts_with_logon(buf)):
                why = problem or f"first frame is not a Logon ({len(buf)} bytes)"
                self.ignored.append(f"{transcript.label}: {why}")
                log.info("connection ignored (no Logon): %s", why)
                transcript.note(f"ignored: no Logon ({why})")
            else:
                self._new.put_nowait(conn)
            await conn.start()
            if conn.error:
                self.errors.append(conn.error)
        except Exception as exc:  # a bug; keep serving the other connections
            self.errors.append(f"{type(exc).__name__}: {exc}")
            log.exception("mock acceptor connection failed")
        finally:
            discard_unread(reader)
            self._writers.discard(writer)
            if conn is None or not conn.closed:
                writer.transport.abort()

    def _logged_on_elsewhere(self, key: tuple[str, str]) -> str | None:
        """Why a Logon for ``key`` is refused now: the session is logged on already."""
        for conn in self.connections:
            s = conn.session
            if (s.settings.sender_comp_id, s.settings.target_comp_id) != key or conn.closed:
                continue
            if s.state in (SessionState.ACTIVE, SessionState.LOGOUT_SENT):
                return f"session {key[1]}->{key[0]} already logged on ({conn.transcript.label})"
        return None

    def _on_event(self, conn: Connection, event: Event) -> None:
        if isinstance(event, LogonRefused):
            logon = event.logon.render() if event.logon is not None else "-"
            if len(logon) > REFUSAL_LOGON_CHARS:
                logon = f"{logon[:REFUSAL_LOGON_CHARS]}... ({len(logon)} characters)"
            line = f"{event.reason}; Logon: {logon}"
            self.refusals.append(line)
            log.warning("FIX logon refused: %s", line)

    def _answer(self, conn: Connection, msg: Message) -> None:
        session = conn.session
        if msg.msg_type == "D":
            self.orders.append(msg)
            if not msg.get(11):
                session.send_application(
                    "j",
                    [(45, msg.seq_num or 0), (372, "D"), (380, "5"), (58, "ClOrdID(11) missing")],
                )
                return
            self._exec_n += 1
            session.send_application(
                "8", execution_report(msg, self._exec_n, session.settings.begin_string)
            )
            clordid = msg.get(11) or ""
            if clordid in self._lose:
                self._lose.discard(clordid)
                conn.drop_outgoing(f"fault injection: report for {clordid} lost")
                conn.abort(
                    f"fault injection: connection dropped after losing the report for {clordid}"
                )
        else:
            session.send_application(
                "j",
                [
                    (45, msg.seq_num or 0),
                    (372, msg.msg_type),
                    (380, "3"),
                    (58, "Unsupported message type"),
                ],
            )


def _starts_with_logon(buf: bytes) -> bool:
    """Is the first complete frame of ``buf`` a Logon(A)?"""
    frames = FrameReader()
    frames.feed(buf)
    item = frames.next()
    if not isinstance(item, Frame):
        return False
    try:
        return parse_message(item.raw).msg_type == "A"
    except ValueError:
        return False


async def run_acceptor_script(
    acceptor: MockAcceptor, script: Script, *, timeout: float = 10.0, accept_timeout: float = 120.0
) -> ConversationResult:
    """Run ``script`` on the acceptor's side: each ``connect`` waits for a connection."""
    transcript = Transcript(label="acceptor")

    async def opener() -> Connection:
        try:
            conn = await acceptor.next_connection(accept_timeout)
        except TimeoutError:
            raise ConnectFailed(f"no connection within {accept_timeout:g}s") from None
        return conn

    conversation = Conversation(Role.ACCEPTOR, opener, transcript, timeout=timeout)
    result = await conversation.run(script)
    merged = Transcript(label="acceptor")
    for conn in conversation.connections:
        merged.entries.extend(conn.transcript.entries)
        merged.notes.extend(conn.transcript.notes)
    result.transcript = merged
    return result


@contextmanager
def run_acceptor_in_thread(
    sessions: SessionSettings | Sequence[SessionSettings],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    **kwargs: Any,
) -> Iterator[MockAcceptor]:
    """Run a :class:`MockAcceptor` on its own event loop in a thread.

    For thread-based callers (the scenario runner). Yields the started acceptor;
    ``acceptor.address`` is the bound (host, port). Its lists (transcripts,
    refusals, orders) are safe to read after the ``with`` block ends.
    """
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="fix-acceptor", daemon=True)
    thread.start()
    acceptor: MockAcceptor | None = None
    try:

        async def make() -> MockAcceptor:
            acc = MockAcceptor(sessions, **kwargs)
            await acc.start(host, port)
            return acc

        acceptor = asyncio.run_coroutine_threadsafe(make(), loop).result(timeout=10)
        yield acceptor
    finally:
        if acceptor is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(acceptor.stop(), loop).result(timeout=15)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        if not thread.is_alive():
            loop.close()
