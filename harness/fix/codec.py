"""FIX tag=value codec: framing, parsing, encoding and redacted rendering.

A FIX message on the wire is ``8=BeginString<SOH>9=BodyLength<SOH>...10=CheckSum<SOH>``.
BodyLength counts the bytes after the ``9=`` field's SOH up to and including the SOH
before ``10=``; CheckSum is the byte sum of everything before ``10=``, modulo 256,
written as three digits. Both are validated here on receipt: a frame that fails either
is *garbled* and is reported as such (the session layer then discards it without
consuming a sequence number, as the FIX session rules require), never accepted.

Data fields (RawData(96), SecureData(91), XmlData(213), the Encoded* fields) may hold
any byte, SOH included; their length comes from the length field right before them
(RawDataLength(95) for RawData(96)), so the parser honours those pairs.

Secrets never leave this module in clear: :func:`render` replaces the values of
:data:`SECRET_TAGS` (Password(554), NewPassword(925), RawData(96), SecureData(91), ...)
with ``***``. Lengths (e.g. RawDataLength(95)) are kept: they say that credentials were
sent, and how long, without saying what they were.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

SOH = b"\x01"

#: Length field → the data field it announces. The data field must follow directly.
DATA_LENGTH_TAGS: dict[int, int] = {
    90: 91,  # SecureDataLen → SecureData
    93: 89,  # SignatureLength → Signature
    95: 96,  # RawDataLength → RawData
    212: 213,  # XmlDataLen → XmlData
    348: 349,  # EncodedIssuerLen
    350: 351,  # EncodedSecurityDescLen
    352: 353,  # EncodedListExecInstLen
    354: 355,  # EncodedTextLen
    356: 357,  # EncodedSubjectLen
    358: 359,  # EncodedHeadlineLen
    360: 361,  # EncodedAllocTextLen
    362: 363,  # EncodedUnderlyingIssuerLen
    364: 365,  # EncodedUnderlyingSecurityDescLen
    445: 446,  # EncodedListStatusTextLen
    618: 619,  # EncodedLegIssuerLen
    621: 622,  # EncodedLegSecurityDescLen
}
DATA_TAGS: frozenset[int] = frozenset(DATA_LENGTH_TAGS.values())

#: Tags whose values are secrets: FIX passwords and the FIXS credential carriers.
SECRET_TAGS: frozenset[int] = frozenset({554, 925, 96, 91, 1402, 1404})

#: The rendering of a redacted value.
REDACTED = "***"

#: MsgType(35) codes → names, as used in scripts and transcripts.
MSG_TYPE_NAMES: dict[str, str] = {
    "0": "Heartbeat",
    "1": "TestRequest",
    "2": "ResendRequest",
    "3": "Reject",
    "4": "SequenceReset",
    "5": "Logout",
    "A": "Logon",
    "D": "NewOrderSingle",
    "8": "ExecutionReport",
    "9": "OrderCancelReject",
    "F": "OrderCancelRequest",
    "G": "OrderCancelReplaceRequest",
    "j": "BusinessMessageReject",
}
MSG_TYPE_CODES: dict[str, str] = {v.lower(): k for k, v in MSG_TYPE_NAMES.items()}


def _defined_msg_types() -> frozenset[str]:
    # Every MsgType(35) value defined by FIX 4.0 to 5.0 SP2 and FIXT.1.1: the single
    # characters 0-9, A-Z (except I, O and U) and a-z, the pairs AA-DZ (except CP),
    # EA and EB. Values starting with U are user-defined (FIX 4.4 Vol. 1, MsgType).
    singles = "0123456789ABCDEFGHJKLMNPQRSTVWXYZabcdefghijklmnopqrstuvwxyz"
    upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    pairs = {a + b for a in "ABCD" for b in upper} - {"CP"}
    return frozenset({*singles, *pairs, "EA", "EB"})


#: MsgType(35) values some FIX version defines. Anything else that does not start with
#: U (user-defined) is an invalid MsgType: a session-level Reject (373=11), not a
#: BusinessMessageReject.
DEFINED_MSG_TYPES: frozenset[str] = _defined_msg_types()


def is_defined_msg_type(msg_type: str) -> bool:
    """True if some FIX version defines ``msg_type`` or it is user-defined (U...)."""
    return msg_type in DEFINED_MSG_TYPES or msg_type.startswith("U")


#: Session-level (administrative) message types; everything else is application.
ADMIN_MSG_TYPES: frozenset[str] = frozenset({"0", "1", "2", "3", "4", "5", "A"})

#: Largest BodyLength accepted; a larger one is treated as garbled rather than buffered.
DEFAULT_MAX_BODY_LENGTH = 1 << 20

#: Largest BodyLength accepted before a session is logged on. A Logon is a few hundred
#: bytes (a few KiB with RawData); anything near this size is hostile, and refusing it
#: from its BodyLength means it is never buffered.
MAX_LOGON_BODY_LENGTH = 1 << 16

# How far the BeginString and BodyLength fields may run before the frame is garbled.
_MAX_BEGIN_FIELD = 32
_MAX_LENGTH_DIGITS = 9
_START = b"8=FIX"


class CodecError(ValueError):
    """A byte string is not a well-formed FIX message (used by :func:`parse_message`)."""

    def __init__(self, reason: str, *, tag: int | None = None, reject_reason: int = 6) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tag = tag
        #: SessionRejectReason(373) a Reject for this fault carries (6 = incorrect data format).
        self.reject_reason = reject_reason


def checksum(data: bytes) -> int:
    """The FIX CheckSum of ``data``: the byte sum modulo 256."""
    return sum(data) % 256


FieldValue = str | bytes | int


def _as_bytes(value: FieldValue) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bool):  # bool is an int: render FIX booleans explicitly
        return b"Y" if value else b"N"
    return str(value).encode("latin-1")


@dataclass(frozen=True)
class Message:
    """One FIX message: its fields in wire order and, when it came from bytes, its bytes.

    ``fields`` holds every field, BeginString(8), BodyLength(9) and CheckSum(10)
    included, as ``(tag, value-bytes)`` pairs. ``raw`` is the exact wire form.
    """

    fields: tuple[tuple[int, bytes], ...]
    raw: bytes = field(default=b"", repr=False)

    def get_bytes(self, tag: int) -> bytes | None:
        """The first value of ``tag`` as bytes, or None when absent."""
        for t, v in self.fields:
            if t == tag:
                return v
        return None

    def get(self, tag: int) -> str | None:
        """The first value of ``tag`` decoded as Latin-1 text, or None when absent."""
        v = self.get_bytes(tag)
        return None if v is None else v.decode("latin-1")

    def get_int(self, tag: int) -> int | None:
        """The first value of ``tag`` as an int; None when absent or not an integer."""
        v = self.get_bytes(tag)
        if v is None or not v.isdigit():
            return None
        return int(v)

    def has(self, tag: int) -> bool:
        return any(t == tag for t, _ in self.fields)

    @property
    def msg_type(self) -> str:
        return self.get(35) or ""

    @property
    def begin_string(self) -> str:
        return self.get(8) or ""

    @property
    def seq_num(self) -> int | None:
        return self.get_int(34)

    @property
    def poss_dup(self) -> bool:
        return self.get(43) == "Y"

    def body_fields(self) -> tuple[tuple[int, bytes], ...]:
        """The fields other than the framing ones (8, 9, 10)."""
        return tuple((t, v) for t, v in self.fields if t not in (8, 9, 10))

    def render(self, *, redact: bool = True) -> str:
        """The message with ``|`` for SOH and, unless told otherwise, secrets redacted."""
        return render_fields(self.fields, redact=redact)


def encode(begin_string: str, fields: Iterable[tuple[int, FieldValue]]) -> Message:
    """Encode a message: adds BeginString(8), BodyLength(9) and CheckSum(10).

    ``fields`` starts with MsgType(35). A data field must follow its length field with
    the right length (e.g. RawDataLength(95)=len then RawData(96)); a mistake raises
    :class:`CodecError` because it would garble the frame for the peer.
    """
    pairs = [(int(t), _as_bytes(v)) for t, v in fields]
    if not pairs or pairs[0][0] != 35:
        raise CodecError("MsgType(35) must be the first field after BodyLength(9)")
    prev: tuple[int, bytes] | None = None
    for tag, value in pairs:
        if tag in (8, 9, 10):
            raise CodecError(f"tag {tag} is added by the encoder", tag=tag)
        if tag in DATA_TAGS:
            length_tag = next(k for k, v in DATA_LENGTH_TAGS.items() if v == tag)
            if prev is None or prev[0] != length_tag or prev[1] != str(len(value)).encode():
                raise CodecError(
                    f"data field {tag} must directly follow {length_tag}={len(value)}", tag=tag
                )
        elif SOH in value:
            raise CodecError(f"value of tag {tag} contains SOH", tag=tag)
        prev = (tag, value)
    body = b"".join(b"%d=%s\x01" % (t, v) for t, v in pairs)
    head = b"8=%s\x019=%d\x01" % (begin_string.encode("ascii"), len(body))
    frame = head + body
    raw = frame + b"10=%03d\x01" % checksum(frame)
    all_fields = (
        (8, begin_string.encode("ascii")),
        (9, str(len(body)).encode()),
        *pairs,
        (10, b"%03d" % checksum(frame)),
    )
    return Message(fields=all_fields, raw=raw)


def parse_message(raw: bytes) -> Message:
    """Split a framed message into fields, honouring data-length pairs.

    Raises:
        CodecError: a field lacks ``=``, a tag is not a positive integer, a value is
            empty, a data field's bytes do not fit, or 8/9/35 are not the first three.
    """
    fields: list[tuple[int, bytes]] = []
    pos = 0
    n = len(raw)
    pending_data: tuple[int, int] | None = None  # (data tag, length) announced
    while pos < n:
        eq = raw.find(b"=", pos)
        if eq < 0:
            raise CodecError(f"field without '=' at byte {pos}")
        tag_bytes = raw[pos:eq]
        if not tag_bytes.isdigit() or tag_bytes.startswith(b"0"):
            raise CodecError(f"invalid tag number {tag_bytes!r} at byte {pos}", reject_reason=0)
        tag = int(tag_bytes)
        if pending_data is not None and pending_data[0] == tag:
            end = eq + 1 + pending_data[1]
            if end >= n or raw[end : end + 1] != SOH:
                raise CodecError(f"data field {tag} does not match its length", tag=tag)
            value = raw[eq + 1 : end]
        else:
            end = raw.find(SOH, eq + 1)
            if end < 0:
                raise CodecError(f"field {tag} is not terminated by SOH", tag=tag)
            value = raw[eq + 1 : end]
        if not value:
            raise CodecError(f"tag {tag} has no value", tag=tag, reject_reason=4)
        pending_data = None
        if tag in DATA_LENGTH_TAGS:
            if not value.isdigit():
                raise CodecError(f"length field {tag} is not a number", tag=tag)
            pending_data = (DATA_LENGTH_TAGS[tag], int(value))
        fields.append((tag, value))
        pos = end + 1
    if [t for t, _ in fields[:3]] != [8, 9, 35]:
        raise CodecError(
            "the first three fields must be BeginString(8), BodyLength(9), MsgType(35)"
        )
    return Message(fields=tuple(fields), raw=raw)


@dataclass(frozen=True)
class Frame:
    """A byte string that passed framing: BodyLength and CheckSum both agree."""

    raw: bytes


@dataclass(frozen=True)
class GarbledFrame:
    """Bytes that are not a valid frame (bad BodyLength, CheckSum, or plain garbage)."""

    reason: str
    raw: bytes


class FrameReader:
    """Splits a byte stream into FIX frames; sans-IO (``feed`` bytes, ``next`` frames).

    Theory of operation: a frame starts with ``8=FIX``. Bytes before a start are
    garbage, reported once a start is found. From a start, the reader waits for the
    BeginString and BodyLength fields, then for BodyLength bytes plus the 7-byte
    ``10=nnn<SOH>`` trailer. If the trailer is not where BodyLength says, or its sum is
    wrong, the frame is garbled and the reader resynchronises on the next ``8=FIX``.
    Every decision depends only on bytes already seen, so any chunking of the same
    stream yields the same frames.
    """

    def __init__(self, *, max_body_length: int = DEFAULT_MAX_BODY_LENGTH) -> None:
        self._buf = bytearray()
        self._max_body = max_body_length

    @property
    def buffered(self) -> int:
        return len(self._buf)

    @property
    def max_body_length(self) -> int:
        """The largest BodyLength taken as a frame; a session raises it after Logon."""
        return self._max_body

    @max_body_length.setter
    def max_body_length(self, value: int) -> None:
        self._max_body = value

    def feed(self, data: bytes) -> None:
        self._buf += data

    def _garble(self, reason: str, upto: int) -> GarbledFrame:
        raw = bytes(self._buf[:upto])
        del self._buf[:upto]
        return GarbledFrame(reason, raw)

    def _resync(self, reason: str) -> GarbledFrame:
        """Discard the frame at the head of the buffer up to the next start."""
        nxt = self._buf.find(_START, 1)
        if nxt < 0:
            # Keep a tail that may be the beginning of the next start.
            nxt = max(1, len(self._buf) - (len(_START) - 1))
        return self._garble(reason, nxt)

    def next(self) -> Frame | GarbledFrame | None:
        """The next frame or garbled chunk, or None when more bytes are needed."""
        buf = self._buf
        if not buf:
            return None
        if not buf.startswith(_START):
            if _START.startswith(bytes(buf[: len(_START)])):
                return None  # a possible start, still incomplete
            start = buf.find(_START)
            if start < 0:
                # Keep a tail that could begin a start; the rest is garbage not yet reported
                # (reported as one chunk once a start shows up, for chunking independence).
                if len(buf) > 65536:
                    return self._garble("garbage bytes without a BeginString", len(buf) - 4)
                return None
            return self._garble(f"{start} byte(s) of garbage before BeginString(8)", start)
        soh1 = buf.find(SOH, 0, _MAX_BEGIN_FIELD)
        if soh1 < 0:
            if len(buf) >= _MAX_BEGIN_FIELD:
                return self._resync("BeginString(8) field not terminated")
            return None
        # BodyLength must be the second field.
        head = bytes(buf[soh1 + 1 : soh1 + 3 + _MAX_LENGTH_DIGITS + 1])
        if len(head) < 2:
            return None
        if not head.startswith(b"9="):
            return self._resync("BodyLength(9) is not the second field")
        soh2 = head.find(SOH, 2)
        if soh2 < 0:
            if len(head) >= 2 + _MAX_LENGTH_DIGITS + 1:
                return self._resync("BodyLength(9) value too long")
            if not head[2:].isdigit() and len(head) > 2:
                return self._resync("BodyLength(9) is not a number")
            return None
        digits = head[2:soh2]
        if not digits.isdigit():
            return self._resync("BodyLength(9) is not a number")
        body_len = int(digits)
        if body_len > self._max_body:
            return self._resync(f"BodyLength(9)={body_len} exceeds the limit {self._max_body}")
        body_start = soh1 + 1 + soh2 + 1
        body_end = body_start + body_len
        total = body_end + 7
        if len(buf) < total:
            return None
        trailer = bytes(buf[body_end:total])
        if (
            not trailer.startswith(b"10=")
            or not trailer[3:6].isdigit()
            or trailer[6:7] != SOH
            or (body_len > 0 and buf[body_end - 1] != 1)
        ):
            return self._resync(f"BodyLength(9)={body_len} does not end at CheckSum(10)")
        declared = int(trailer[3:6])
        computed = checksum(bytes(buf[:body_end]))
        if declared != computed:
            return self._garble(
                f"CheckSum(10) mismatch: declared {declared:03d}, computed {computed:03d}", total
            )
        raw = bytes(buf[:total])
        del buf[:total]
        return Frame(raw)


_FIELD_RE = re.compile(rb"(\d+)=")


def _render_value(tag: int, value: bytes, redact: bool) -> str:
    if redact and tag in SECRET_TAGS:
        return REDACTED
    out = []
    for b in value:
        if 0x20 <= b < 0x7F and b != 0x7C:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


def render_fields(fields: Sequence[tuple[int, bytes]], *, redact: bool = True) -> str:
    """Fields as ``tag=value|...`` with non-printable bytes escaped and secrets redacted."""
    return "".join(f"{t}={_render_value(t, v, redact)}|" for t, v in fields)


def render(raw: bytes, *, redact: bool = True) -> str:
    """Render any bytes, well-formed or not, as ``tag=value|`` text with secrets redacted.

    Well-formed messages go through :func:`parse_message`. Anything else is split on
    SOH leniently; a secret tag's value is redacted up to the next SOH (or, after its
    length field, for the announced length), so garbled credentials do not leak either.
    """
    try:
        fields = parse_message(raw).fields
    except CodecError:
        return _lenient(raw, redact)
    return render_fields(fields, redact=redact)


def _lenient(raw: bytes, redact: bool) -> str:
    parts: list[str] = []
    pos = 0
    data_len: int | None = None
    while pos < len(raw):
        m = _FIELD_RE.match(raw, pos)
        if m is None:
            end = raw.find(SOH, pos)
            end = len(raw) if end < 0 else end
            chunk = raw[pos:end]
            # An unlabelled chunk: escape it, and redact it if it might be a secret.
            parts.append(_render_value(0, chunk, False) + ("|" if end < len(raw) else ""))
            pos = end + 1
            data_len = None
            continue
        tag = int(m.group(1)) if len(m.group(1)) < 10 else -1
        vstart = m.end()
        if tag in DATA_TAGS and data_len is not None:
            end = min(len(raw), vstart + data_len)
        else:
            end = raw.find(SOH, vstart)
            end = len(raw) if end < 0 else end
        value = raw[vstart:end]
        data_len = int(value) if tag in DATA_LENGTH_TAGS and value.isdigit() else None
        parts.append(f"{tag}={_render_value(tag, value, redact)}" + ("|" if end < len(raw) else ""))
        pos = end + 1
    return "".join(parts)
