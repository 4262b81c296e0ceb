"""Conversation scripts: one line a step, in the spirit of QuickFIX's acceptance tests.

Format (blank lines and lines starting with ``#`` are ignored; arguments are split
like a shell, so ``58="two words"`` works)::

    connect                           initiator: open TCP and send Logon
                                      acceptor: wait for the next connection
    expect Logon                      next message must be a Logon (checks optional)
    expect ExecutionReport 11=ORD-1 150=0 58~partial !103 37=*
    send NewOrderSingle 11=X 55=IBM 54=1 38=100 40=1
    send TestRequest 112=PING         (then: expect Heartbeat 112=PING)
    orders 100 [55=IBM ...]           initiator: send 100 NewOrderSingle, expect 100
                                      ExecutionReports, ClOrdIDs in order;
                                      acceptor: expect 100 NewOrderSingle
    logout ["text"]                   send Logout (the reply is expected separately)
    expect disconnect                 the connection closes (either side)
    disconnect                        drop the TCP connection now, no Logout
    lose NewOrderSingle 11=X ...      fault injection: consume a MsgSeqNum and keep
                                      the message for resends, but never write it
    wait 1.5                          pause (seconds)

MsgTypes are names (``NewOrderSingle``) or codes (``D``); tags are numbers or a few
names (``ClOrdID``, ``Text``). Field checks: ``tag=value`` equal, ``tag=*``
present, ``tag~text`` contains, ``!tag`` absent.

``expect`` skips Heartbeat, TestRequest, ResendRequest and SequenceReset unless one
of those is what it expects: the engine answers them itself and their timing is
not part of a conversation.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from harness.errors import LocatedError, SourceLocation
from harness.fix.codec import MSG_TYPE_CODES, MSG_TYPE_NAMES

#: Field names a script may use instead of tag numbers.
TAG_NAMES: dict[str, int] = {
    "Account": 1,
    "AvgPx": 6,
    "BeginSeqNo": 7,
    "ClOrdID": 11,
    "CumQty": 14,
    "EndSeqNo": 16,
    "ExecID": 17,
    "HandlInst": 21,
    "MsgSeqNum": 34,
    "NewSeqNo": 36,
    "OrderID": 37,
    "OrderQty": 38,
    "OrdStatus": 39,
    "OrdType": 40,
    "PossDupFlag": 43,
    "Price": 44,
    "RefSeqNum": 45,
    "SenderCompID": 49,
    "SendingTime": 52,
    "Side": 54,
    "Symbol": 55,
    "TargetCompID": 56,
    "Text": 58,
    "TransactTime": 60,
    "EncryptMethod": 98,
    "HeartBtInt": 108,
    "TestReqID": 112,
    "OrigSendingTime": 122,
    "GapFillFlag": 123,
    "ResetSeqNumFlag": 141,
    "ExecType": 150,
    "LeavesQty": 151,
    "Username": 553,
    "SessionRejectReason": 373,
    "DefaultApplVerID": 1137,
}

#: Message types ``expect`` passes over unless it is looking for one of them.
SKIPPABLE_TYPES: frozenset[str] = frozenset({"0", "1", "2", "4"})


@dataclass(frozen=True)
class FieldCheck:
    """One condition on a received message's field."""

    tag: int
    op: str  # "=" equal, "*" present, "~" contains, "!" absent
    value: str = ""

    def holds(self, actual: str | None) -> bool:
        if self.op == "!":
            return actual is None
        if actual is None:
            return False
        if self.op == "*":
            return True
        if self.op == "~":
            return self.value in actual
        return actual == self.value

    def __str__(self) -> str:
        if self.op == "!":
            return f"!{self.tag}"
        if self.op == "*":
            return f"{self.tag}=*"
        return f"{self.tag}{self.op}{self.value}"


@dataclass(frozen=True)
class Step:
    """One script line. ``kind`` is the verb; the other fields depend on it."""

    kind: str  # connect, send, expect, expect-disconnect, orders, logout, disconnect, lose, wait
    location: SourceLocation
    msg_type: str = ""
    fields: tuple[tuple[int, str], ...] = ()
    checks: tuple[FieldCheck, ...] = ()
    count: int = 0
    seconds: float = 0.0
    text: str | None = None

    def describe(self) -> str:
        name = MSG_TYPE_NAMES.get(self.msg_type, self.msg_type)
        if self.kind == "expect":
            return " ".join(["expect", name, *map(str, self.checks)])
        if self.kind in ("send", "lose"):
            return " ".join([self.kind, name, *(f"{t}={v}" for t, v in self.fields)])
        if self.kind == "orders":
            return f"orders {self.count}"
        if self.kind == "wait":
            return f"wait {self.seconds:g}"
        return self.kind.replace("-", " ")


@dataclass(frozen=True)
class Script:
    steps: tuple[Step, ...]

    def __len__(self) -> int:
        return len(self.steps)


def default_script(orders: int = 10, *, acceptor: bool = False) -> Script:
    """Logon, ``orders`` NewOrderSingle/ExecutionReport round trips, Logout.

    The initiator's version logs out; the acceptor's expects the initiator to.
    """
    text = "connect\nexpect Logon\n"
    if orders:
        text += f"orders {orders}\n"
    text += "expect Logout\n" if acceptor else "logout\nexpect Logout\n"
    text += "expect disconnect\n"
    return parse_script(text, origin=SourceLocation("<default script>", 1))


def _msg_type(token: str, fail: LocatedErrorFactory) -> str:
    if token in MSG_TYPE_NAMES:
        return token
    code = MSG_TYPE_CODES.get(token.lower())
    if code is None:
        if len(token) <= 2 and token.isalnum():
            return token  # an unnamed MsgType code, e.g. "AE"
        raise fail(f"unknown MsgType {token!r}")
    return code


def _tag(token: str, fail: LocatedErrorFactory) -> int:
    if token.isdigit() and not token.startswith("0"):
        return int(token)
    if token in TAG_NAMES:
        return TAG_NAMES[token]
    raise fail(f"unknown tag {token!r} (use a number or one of {', '.join(sorted(TAG_NAMES))})")


class LocatedErrorFactory:
    def __init__(self, location: SourceLocation) -> None:
        self.location = location

    def __call__(self, message: str) -> LocatedError:
        return LocatedError(self.location, message)


def _fields(tokens: list[str], fail: LocatedErrorFactory) -> tuple[tuple[int, str], ...]:
    out = []
    for tok in tokens:
        tag, sep, value = tok.partition("=")
        if not sep or not value:
            raise fail(f"expected tag=value, got {tok!r}")
        if "\x01" in value:
            raise fail(f"value of {tag} contains SOH")
        out.append((_tag(tag, fail), value))
    return tuple(out)


def _checks(tokens: list[str], fail: LocatedErrorFactory) -> tuple[FieldCheck, ...]:
    out = []
    for tok in tokens:
        if tok.startswith("!"):
            out.append(FieldCheck(_tag(tok[1:], fail), "!"))
            continue
        eq, tl = tok.find("="), tok.find("~")
        cut = min(i for i in (eq, tl) if i >= 0) if (eq >= 0 or tl >= 0) else -1
        if cut <= 0:
            raise fail(f"expected a field check (tag=value, tag=*, tag~text, !tag), got {tok!r}")
        tag = _tag(tok[:cut], fail)
        op, value = tok[cut], tok[cut + 1 :]
        if op == "=" and value == "*":
            out.append(FieldCheck(tag, "*"))
        else:
            out.append(FieldCheck(tag, op, value))
    return tuple(out)


def parse_script(text: str, *, origin: SourceLocation | None = None) -> Script:
    """Parse a conversation script.

    Args:
        text: the script, one step a line.
        origin: where the script's first line is (e.g. the line after ``script: |``
            in a scenario file); errors then point at ``origin.line + offset``.

    Raises:
        LocatedError: naming the file and line of the first bad step.
    """
    path = origin.path if origin else "<script>"
    first = origin.line if origin and origin.line else 1
    steps: list[Step] = []
    for offset, line in enumerate(text.splitlines()):
        loc = SourceLocation(path, first + offset)
        fail = LocatedErrorFactory(loc)
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            words = shlex.split(stripped)
        except ValueError as exc:
            raise fail(f"cannot split line: {exc}") from None
        verb, args = words[0].lower(), words[1:]
        if verb == "connect" or verb == "disconnect":
            if args:
                raise fail(f"{verb} takes no arguments")
            steps.append(Step(verb, loc))
        elif verb == "expect":
            if not args:
                raise fail("expect needs a MsgType or 'disconnect'")
            if args[0].lower() == "disconnect":
                if len(args) > 1:
                    raise fail("expect disconnect takes no arguments")
                steps.append(Step("expect-disconnect", loc))
            else:
                steps.append(
                    Step(
                        "expect",
                        loc,
                        msg_type=_msg_type(args[0], fail),
                        checks=_checks(args[1:], fail),
                    )
                )
        elif verb in ("send", "lose"):
            if not args:
                raise fail(f"{verb} needs a MsgType")
            mt = _msg_type(args[0], fail)
            if mt in ("A", "5", "0", "2", "3", "4") or (verb == "lose" and mt == "1"):
                raise fail(
                    f"{verb} {MSG_TYPE_NAMES.get(mt, mt)}: session messages are the engine's "
                    "(use connect, logout, or send TestRequest)"
                )
            steps.append(Step(verb, loc, msg_type=mt, fields=_fields(args[1:], fail)))
        elif verb == "orders":
            if not args or not args[0].isdigit() or int(args[0]) < 1:
                raise fail("orders needs a positive count")
            steps.append(Step("orders", loc, count=int(args[0]), fields=_fields(args[1:], fail)))
        elif verb == "logout":
            if len(args) > 1:
                raise fail('logout takes at most one text argument (quote it: logout "bye now")')
            steps.append(Step("logout", loc, text=args[0] if args else None))
        elif verb == "wait":
            try:
                seconds = float(args[0]) if len(args) == 1 else -1.0
            except ValueError:
                seconds = -1.0
            if not 0 <= seconds <= 3600:
                raise fail("wait needs one number of seconds between 0 and 3600")
            steps.append(Step("wait", loc, seconds=seconds))
        else:
            raise fail(
                f"unknown step {words[0]!r} (known: connect, send, expect, orders, logout, "
                "disconnect, lose, wait)"
            )
    return Script(tuple(steps))
