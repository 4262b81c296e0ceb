"""Running a conversation script over one or more connections, and its result.

The same executor serves both roles; only ``connect`` differs (the initiator dials
and logs on, the acceptor waits for the next incoming connection). A step that does
not hold becomes a failure string naming the script line; the run stops there and
the connection is closed. Nothing raises for a peer misbehaving: failures are data.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from harness.fix.codec import MSG_TYPE_NAMES, FieldValue, Message
from harness.fix.session import LocalProtocolError, Role, SequenceStore, Session, utc_timestamp
from harness.fix.settings import SessionSettings
from harness.fixnet.connection import Closed, Connection
from harness.fixnet.script import SKIPPABLE_TYPES, FieldCheck, Script, Step
from harness.fixnet.transcript import Observer, Transcript


@dataclass
class ConversationResult:
    """What happened when a script ran.

    Attributes:
        ok: every step held and nothing broke.
        failures: one line per failed step (``file:line: step: why``) or internal error.
        transcript: every message in and out, secrets redacted.
        logon_accepted: a Logon exchange completed on some connection.
        logout_text: Text(58) of the last Logout received (e.g. the refusal reason).
        error: set when the peer could not be reached at all (CLI exit 2).
        application_messages: accepted application messages received, in order.
        disconnects: why each connection ended.
    """

    ok: bool
    failures: list[str]
    transcript: Transcript
    logon_accepted: bool = False
    logout_text: str | None = None
    error: str | None = None
    application_messages: list[Message] = field(default_factory=list)
    disconnects: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "failures": list(self.failures),
            "logon_accepted": self.logon_accepted,
            "logout_text": self.logout_text,
            "error": self.error,
            "application_messages": [m.render() for m in self.application_messages],
            "disconnects": list(self.disconnects),
            "transcript": self.transcript.to_dict(),
        }


class StepFailed(Exception):
    """A script step did not hold (internal to the executor)."""


class ConnectFailed(StepFailed):
    """The peer could not be reached."""


Opener = Callable[[], Awaitable[Connection]]


DEFAULT_ORDER: tuple[tuple[int, str], ...] = (
    (21, "1"),  # HandlInst: automated, no broker intervention
    (55, "IBM"),
    (54, "1"),  # Side: buy
    (38, "100"),
    (40, "1"),  # OrdType: market
)


class Conversation:
    """Executes a :class:`Script` for one role; see :func:`run_initiator`."""

    def __init__(
        self,
        role: Role,
        opener: Opener,
        transcript: Transcript,
        *,
        timeout: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.role = role
        self._open = opener
        self.transcript = transcript
        self.timeout = timeout
        self._clock = clock
        self.conn: Connection | None = None
        self.connections: list[Connection] = []
        self._order_counter = 0

    # ---- helpers

    def _need_conn(self) -> Connection:
        if self.conn is None or (self.conn.closed and self.conn.inbound.empty()):
            raise StepFailed("not connected")
        return self.conn

    async def _next(self) -> Message | Closed:
        conn = self._need_conn()
        try:
            return await asyncio.wait_for(conn.inbound.get(), self.timeout)
        except TimeoutError:
            raise StepFailed(self._stall()) from None

    def _stall(self) -> str:
        """What a timeout means: which message sent got no answer, after how long."""
        entries = self.transcript.entries
        last_in = max((i for i, e in enumerate(entries) if e.direction == "in"), default=-1)
        unanswered = [e for e in entries[last_in + 1 :] if e.direction == "out"]
        if not unanswered:
            return f"nothing arrived within {self.timeout:g}s"
        first = unanswered[0]
        clordid = re.search(r"\|11=([^|]*)", "|" + first.text)
        name = first.msg_name + (f" ClOrdID={clordid.group(1)}" if clordid else "")
        seq = f" (MsgSeqNum {first.seq})" if first.seq is not None else ""
        orders = sum(1 for e in unanswered if e.msg_type == "D")
        also = f", {orders} of them orders" if orders else ""
        return (
            f"session stalled: {name}{seq} got no answer after "
            f"{max(0.0, self._clock() - first.time):.1f} s; {len(unanswered)} message(s) "
            f"sent since the last one received went unanswered{also}"
        )

    async def _expect(self, msg_type: str, checks: tuple[FieldCheck, ...]) -> Message:
        want = MSG_TYPE_NAMES.get(msg_type, msg_type)
        while True:
            item = await self._next()
            if isinstance(item, Closed):
                self.conn = None
                raise StepFailed(f"expected {want}, but the connection closed ({item.reason})")
            if item.msg_type != msg_type:
                if item.msg_type in SKIPPABLE_TYPES:
                    continue
                got = MSG_TYPE_NAMES.get(item.msg_type, item.msg_type)
                raise StepFailed(f"expected {want}, got {got}: {item.render()}")
            bad = [c for c in checks if not c.holds(item.get(c.tag))]
            if bad:
                detail = ", ".join(f"{c} (got {item.get(c.tag)!r})" for c in bad)
                raise StepFailed(f"{want} does not match: {detail}: {item.render()}")
            return item

    async def _expect_disconnect(self) -> None:
        while True:
            item = await self._next()
            if isinstance(item, Closed):
                self.conn = None
                return
            if item.msg_type not in {"0", "1", "2", "3", "4", "5"}:
                got = MSG_TYPE_NAMES.get(item.msg_type, item.msg_type)
                raise StepFailed(f"expected disconnect, got {got}: {item.render()}")

    def _order_fields(self, step: Step, clordid: str) -> list[tuple[int, FieldValue]]:
        given = dict(step.fields)
        fields: list[tuple[int, FieldValue]] = [(11, clordid)]
        for tag, value in DEFAULT_ORDER:
            fields.append((tag, given.pop(tag, value)))
        fields.append((60, utc_timestamp(self._clock())))
        fields += list(given.items())
        return fields

    def _send(self, conn: Connection, msg_type: str, fields: list[tuple[int, FieldValue]]) -> None:
        try:
            if msg_type == "1":
                conn.session.send_test_request(str(dict(fields).get(112, "")) or None)
            else:
                conn.session.send_application(msg_type, fields)
        except LocalProtocolError as exc:
            raise StepFailed(str(exc)) from None

    # ---- steps

    async def _step(self, step: Step) -> None:
        kind = step.kind
        if kind == "connect":
            if self.conn is not None and not self.conn.closed:
                raise StepFailed("already connected")
            self.conn = await self._open()
            self.connections.append(self.conn)
        elif kind == "send":
            conn = self._need_conn()
            self._send(conn, step.msg_type, list(step.fields))
            conn.flush()
        elif kind == "lose":
            conn = self._need_conn()
            self._send(conn, step.msg_type, list(step.fields))
            conn.drop_outgoing("lost on purpose (script 'lose' step)")
        elif kind == "expect":
            await self._expect(step.msg_type, step.checks)
        elif kind == "expect-disconnect":
            await self._expect_disconnect()
        elif kind == "orders":
            first = self._order_counter + 1
            self._order_counter += step.count
            ids = [f"ORD-{k}" for k in range(first, first + step.count)]
            if self.role is Role.INITIATOR:
                conn = self._need_conn()
                for clordid in ids:
                    self._send(conn, "D", self._order_fields(step, clordid))
                    conn.flush()
                for clordid in ids:
                    await self._expect("8", (FieldCheck(11, "=", clordid), FieldCheck(39, "*")))
            else:
                for _ in ids:
                    await self._expect("D", (FieldCheck(11, "*"),))
        elif kind == "logout":
            conn = self._need_conn()
            try:
                conn.session.logout(step.text)
            except LocalProtocolError as exc:
                raise StepFailed(str(exc)) from None
            conn.flush()
        elif kind == "disconnect":
            conn = self._need_conn()
            conn.abort("dropped by the script")
            await conn.wait_closed(self.timeout)
            self.conn = None
        elif kind == "wait":
            await asyncio.sleep(step.seconds)
        else:  # pragma: no cover - parse_script admits only the kinds above
            raise StepFailed(f"unknown step kind {kind}")

    async def run(self, script: Script) -> ConversationResult:
        failures: list[str] = []
        error: str | None = None
        try:
            for step in script.steps:
                try:
                    await self._step(step)
                except ConnectFailed as exc:
                    error = str(exc)
                    failures.append(f"{step.location}: {step.describe()}: {exc}")
                    break
                except StepFailed as exc:
                    failures.append(f"{step.location}: {step.describe()}: {exc}")
                    break
        finally:
            for conn in self.connections:
                if not conn.closed:
                    conn.abort("script finished")
                    await conn.wait_closed(5)
        for conn in self.connections:
            if conn.error:
                failures.append(f"internal error on a connection: {conn.error}")
        logout_texts = [t for c in self.connections for t in c.logout_texts]
        return ConversationResult(
            ok=not failures,
            failures=failures,
            transcript=self.transcript,
            logon_accepted=any(c.logged_on for c in self.connections),
            logout_text=logout_texts[-1] if logout_texts else None,
            error=error,
            application_messages=[m for c in self.connections for m in c.application_messages],
            disconnects=[c.close_reason or "connection closed" for c in self.connections],
        )


async def run_initiator(
    settings: SessionSettings,
    script: Script,
    host: str,
    port: int,
    *,
    timeout: float = 10.0,
    store: SequenceStore | None = None,
    clock: Callable[[], float] = time.time,
    observer: Observer | None = None,
) -> ConversationResult:
    """Run ``script`` as a FIX initiator against ``host:port``.

    Each ``connect`` step opens a new TCP connection and logs on; sequence numbers
    carry over between connections through ``store`` (reset only when
    ``settings.reset_on_logon``), so a script can drop and reconnect.

    Args:
        timeout: the longest any one step waits (connecting, or a message to arrive).
        store: pass one to continue an earlier session's sequence numbers.
        observer: receives each transcript line as it happens (redacted).

    Returns:
        The result; ``error`` is set when the peer could not be reached.
    """
    seq_store = store if store is not None else SequenceStore()
    transcript = Transcript(label="initiator", observer=observer, clock=clock)

    async def opener() -> Connection:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except (OSError, TimeoutError) as exc:
            raise ConnectFailed(f"cannot connect to {host}:{port}: {exc or 'timed out'}") from None
        transcript.note(f"connected to {host}:{port}")
        session = Session(settings, role=Role.INITIATOR, store=seq_store, clock=clock)
        conn = Connection(session, reader, writer, transcript, clock=clock)
        session.logon()
        conn.start()
        return conn

    conversation = Conversation(Role.INITIATOR, opener, transcript, timeout=timeout, clock=clock)
    return await conversation.run(script)
