"""Transcripts: every FIX message in and out of one connection, secrets redacted.

An entry is recorded when bytes are written (``out``) or a frame is read (``in``),
with the wall-clock time, the MsgType and the message rendered with ``|`` for SOH.
Rendering goes through :func:`harness.fix.codec.render`, so Password(554),
RawData(96) and the other secret tags read ``***`` here and in everything built from
a transcript (live CLI output, reports). Garbled input is kept too (MsgType ``?``),
redacted the same way. Notes (connected, disconnected and why) sit beside the
messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from harness.fix.codec import MSG_TYPE_NAMES, Message, render

Direction = Literal["in", "out"]

#: How many bytes of a garbled chunk a transcript renders.
GARBLED_KEEP = 2048


@dataclass(frozen=True)
class TranscriptEntry:
    """One message seen on a connection.

    Attributes:
        time: epoch seconds when it was written or read.
        direction: ``"out"`` (we sent) or ``"in"`` (we received).
        msg_type: MsgType(35) value, ``"?"`` for garbled bytes.
        text: the message with ``|`` for SOH, secrets redacted.
        seq: MsgSeqNum(34) when known.
        note: e.g. the reason bytes were garbled, or that a fault injection dropped it.
    """

    time: float
    direction: Direction
    msg_type: str
    text: str
    seq: int | None = None
    note: str = ""

    @property
    def msg_name(self) -> str:
        return MSG_TYPE_NAMES.get(self.msg_type, self.msg_type)

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": self.time,
            "direction": self.direction,
            "msg_type": self.msg_type,
            "msg_name": self.msg_name,
            "seq": self.seq,
            "text": self.text,
            "note": self.note,
        }

    def render(self, label: str = "") -> str:
        stamp = datetime.fromtimestamp(self.time, UTC).strftime("%H:%M:%S.%f")[:-3]
        arrow = "->" if self.direction == "out" else "<-"
        note = f"  [{self.note}]" if self.note else ""
        prefix = f"{label} " if label else ""
        return f"{stamp} {prefix}{arrow} {self.msg_name:<15} {self.text}{note}"


@dataclass(frozen=True)
class TranscriptNote:
    time: float
    text: str

    def render(self, label: str = "") -> str:
        stamp = datetime.fromtimestamp(self.time, UTC).strftime("%H:%M:%S.%f")[:-3]
        prefix = f"{label} " if label else ""
        return f"{stamp} {prefix}-- {self.text}"


#: Receives each rendered line as it happens (the CLI prints them).
Observer = Callable[[str], None]


@dataclass
class Transcript:
    """The messages of one connection (or of a conversation over several connections)."""

    label: str = ""
    entries: list[TranscriptEntry] = field(default_factory=list)
    notes: list[TranscriptNote] = field(default_factory=list)
    observer: Observer | None = field(default=None, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.time, repr=False, compare=False)

    def _add(self, entry: TranscriptEntry) -> None:
        self.entries.append(entry)
        if self.observer is not None:
            self.observer(entry.render(self.label))

    def record(self, direction: Direction, message: Message, *, note: str = "") -> None:
        self._add(
            TranscriptEntry(
                time=self.clock(),
                direction=direction,
                msg_type=message.msg_type,
                text=message.render(redact=True),
                seq=message.seq_num,
                note=note,
            )
        )

    def record_garbled(self, raw: bytes, reason: str) -> None:
        """Record bytes that are not a frame; only the first :data:`GARBLED_KEEP` bytes
        are rendered (a hostile peer's megabyte of noise is not worth keeping)."""
        text = render(raw[:GARBLED_KEEP])
        if len(raw) > GARBLED_KEEP:
            text += f"... ({len(raw)} bytes)"
        self._add(
            TranscriptEntry(time=self.clock(), direction="in", msg_type="?", text=text, note=reason)
        )

    def note(self, text: str) -> None:
        item = TranscriptNote(self.clock(), text)
        self.notes.append(item)
        if self.observer is not None:
            self.observer(item.render(self.label))

    def messages(
        self, direction: Direction | None = None, msg_type: str | None = None
    ) -> list[TranscriptEntry]:
        return [
            e
            for e in self.entries
            if (direction is None or e.direction == direction)
            and (msg_type is None or e.msg_type == msg_type)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "entries": [e.to_dict() for e in self.entries],
            "notes": [{"time": n.time, "text": n.text} for n in self.notes],
        }

    def render(self) -> str:
        items: list[TranscriptEntry | TranscriptNote] = [*self.entries, *self.notes]
        items.sort(key=lambda x: x.time)
        return "\n".join(i.render(self.label) for i in items)
