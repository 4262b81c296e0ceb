"""Bytes of one TCP connection → :class:`~harness.dissect.model.Handshake` (sans-IO).

Theory of operation. Each direction's byte stream is cut into TLS records (a record
may span TCP segments; a segment may hold several records); each record carries
the capture time of the segment that completed it. The two record sequences are
merged by time (causality makes the order unambiguous for a handshake) and fed
to one state machine:

* handshake records are concatenated per sender and cut into handshake messages,
  which may span records;
* after a sender's ChangeCipherSpec (TLS 1.2) its handshake records are encrypted:
  the first one is its Finished;
* in TLS 1.3 every record after ServerHello is an encrypted application-data
  record; with the key log of either endpoint they are decrypted
  (:mod:`harness.dissect.keylog`) and parsed like cleartext; without it they are
  classified by position (each side's first encrypted flight is handshake) and a
  short final record is reported as an encrypted alert.

Anything the bytes cannot support becomes ``complete=False`` with a reason, never
an exception and never ``negotiated=True``.
"""

from __future__ import annotations

import dataclasses
import heapq
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.dissect.certs import cert_info, dn_string
from harness.dissect.keylog import KeyLog, RecordDecryptor, tls13_supported
from harness.dissect.model import (
    FATAL,
    Alert,
    ApplicationData,
    CertInfo,
    Handshake,
    HandshakeMessage,
    Sender,
)
from harness.dissect.wire import Malformed, Reader, printable_identity
from harness.tls.registry import alert_name, handshake_type_name, suite_by_code

Chunks = Sequence[tuple[float, bytes]]

TLS13 = 0x0304
CT_CCS, CT_ALERT, CT_HANDSHAKE, CT_APPDATA, CT_HEARTBEAT = 20, 21, 22, 23, 24
#: RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest.
HRR_RANDOM = bytes.fromhex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C")
#: Largest TLSCiphertext fragment (RFC 5246 6.2.3: 2^14 + 2048).
MAX_RECORD = 2**14 + 2048
MAX_HANDSHAKE_MESSAGE = 1 << 20
#: An encrypted TLS 1.3 alert: 2 bytes + inner content type + 16-byte tag (8 for CCM_8).
ENCRYPTED_ALERT_LENGTHS = (19, 11)


@dataclass(frozen=True)
class Record:
    time: float
    sender: Sender
    type: int
    header: bytes
    payload: bytes
    last: bool = False  # the sender's last record in the capture


@dataclass
class _StreamCut:
    records: list[Record]
    error: str | None = None  # not TLS / garbage: nothing after this is TLS
    truncated: str | None = None  # ends inside a record


def _describe(data: bytes) -> str:
    head = data[:8]
    if all(32 <= b < 127 for b in head):
        return repr(head.decode("ascii"))
    return head.hex(" ")


def cut_records(chunks: Chunks, sender: Sender) -> _StreamCut:
    """Cut one direction's stream into TLS records (pure; never raises)."""
    data = b"".join(c for _, c in chunks)
    ends: list[int] = []
    times: list[float] = []
    total = 0
    for t, c in chunks:
        if c:
            total += len(c)
            ends.append(total)
            times.append(t)
    cut = _StreamCut(records=[])
    pos = 0
    while pos < len(data):
        if len(data) - pos < 5:
            cut.truncated = (
                f"{sender} stream ends inside a record header ({len(data) - pos} of 5 bytes)"
            )
            break
        ctype, major, length = data[pos], data[pos + 1], int.from_bytes(data[pos + 3 : pos + 5])
        if ctype not in (20, 21, 22, 23, 24) or major != 3 or length > MAX_RECORD:
            if pos == 0:
                if data[0] & 0x80 and len(data) > 2 and data[2] == 1:
                    cut.error = f"{sender} sent an SSLv2-format ClientHello (not supported)"
                else:
                    cut.error = f"{sender} stream is not TLS: it starts with {_describe(data)}"
            else:
                cut.error = (
                    f"{sender} stream is not TLS after {len(cut.records)} records "
                    f"(byte {pos}: {_describe(data[pos:])})"
                )
            break
        end = pos + 5 + length
        if end > len(data):
            cut.truncated = (
                f"{sender} stream ends inside a record ({len(data) - pos - 5} of {length} bytes)"
            )
            break
        t = times[min(bisect_left(ends, end), len(times) - 1)]
        cut.records.append(Record(t, sender, ctype, data[pos : pos + 5], data[pos + 5 : end]))
        pos = end
    if cut.records:
        cut.records[-1] = dataclasses.replace(cut.records[-1], last=True)
    return cut


@dataclass
class _Side:
    """Per-sender parsing state."""

    buf: bytearray = field(default_factory=bytearray)
    ccs: bool = False
    finished: bool = False
    hello_done: bool = False
    certificate_seen: bool = False
    key_exchange_seen: bool = False
    flight_seen: bool = False  # TLS 1.3: an encrypted handshake flight was seen
    decryptor: RecordDecryptor | None = None
    app_secret: bytes | None = None
    records: int = 0
    bytes: int = 0


class _Dissector:
    def __init__(
        self,
        c2s: Chunks,
        s2c: Chunks,
        keylog: KeyLog | None,
        client: str | None,
        server: str | None,
    ) -> None:
        self.cuts = {"client": cut_records(c2s, "client"), "server": cut_records(s2c, "server")}
        self.keylog = keylog
        self.f: dict[str, Any] = {"client": client, "server": server}
        self.sides: dict[Sender, _Side] = {"client": _Side(), "server": _Side()}
        self.msgs: list[HandshakeMessage] = []
        self.alerts: list[Alert] = []
        self.problem: str | None = None
        self.client_hello = False
        self.server_hello = False
        self.client_random = b""
        self.psk_identities: list[bytes] = []
        self.first_client_encrypted: float | None = None
        self.inferred = False

    # -- helpers ----------------------------------------------------------------
    @property
    def tls13(self) -> bool:
        return self.f.get("version_selected") == TLS13

    def fail(self, reason: str) -> None:
        if self.problem is None:
            self.problem = reason

    def msg(self, rec: Record, type_: str, length: int, **kw: Any) -> None:
        self.msgs.append(HandshakeMessage(rec.time, rec.sender, type_, length, **kw))

    def appdata(self, rec: Record, *, encrypted: bool = True, decrypted: bool = False) -> None:
        side = self.sides[rec.sender]
        side.records += 1
        side.bytes += len(rec.payload)
        last = self.msgs[-1] if self.msgs else None
        if last is not None and last.type == "ApplicationData" and last.sender == rec.sender:
            # Collapse a run of records into one ladder step.
            count = int(last.detail.split()[0]) + 1 if last.detail else 2
            self.msgs[-1] = dataclasses.replace(
                last, length=last.length + len(rec.payload), detail=f"{count} records"
            )
        else:
            self.msg(
                rec, "ApplicationData", len(rec.payload), encrypted=encrypted, decrypted=decrypted
            )

    # -- driver -----------------------------------------------------------------
    def run(self) -> Handshake:
        cc, sc = self.cuts["client"], self.cuts["server"]
        client_enc = [r.time for r in cc.records if r.type == CT_APPDATA]
        self.first_client_encrypted = client_enc[0] if client_enc else None
        for rec in heapq.merge(cc.records, sc.records, key=lambda r: r.time):
            try:
                self.record(rec)
            except Malformed as exc:
                self.fail(f"malformed record from {rec.sender}: {exc}")
        for sender in ("client", "server"):
            if self.sides[sender].buf and self.problem is None:
                self.fail(f"{sender} handshake message cut off at end of capture")
        return self.finish()

    def record(self, rec: Record) -> None:
        side = self.sides[rec.sender]
        if rec.type == CT_CCS:
            self.msg(rec, "ChangeCipherSpec", len(rec.payload))
            if not self.tls13:
                side.ccs = True
        elif rec.type == CT_ALERT:
            if (side.ccs and not self.tls13) or len(rec.payload) != 2:
                self.alert(rec, None, None, encrypted=True)
            else:
                self.alert(rec, rec.payload[0], rec.payload[1], encrypted=False)
        elif rec.type == CT_HANDSHAKE:
            if side.ccs and not self.tls13:
                if side.finished:
                    self.msg(rec, "EncryptedHandshake", len(rec.payload), encrypted=True)
                else:
                    side.finished = True
                    self.msg(rec, "Finished", len(rec.payload), encrypted=True)
            else:
                self.handshake_bytes(rec, rec.payload, decrypted=False)
        elif rec.type == CT_APPDATA:
            if self.tls13:
                self.tls13_record(rec)
            else:
                self.appdata(rec, encrypted=side.ccs)
        elif rec.type == CT_HEARTBEAT:
            self.msg(rec, "Heartbeat", len(rec.payload), encrypted=side.ccs)

    def alert(self, rec: Record, level: int | None, desc: int | None, *, encrypted: bool) -> None:
        a = Alert(rec.sender, level, desc, encrypted, rec.time)
        self.alerts.append(a)
        self.msg(rec, "Alert", len(rec.payload), encrypted=encrypted, detail=a.name)

    def tls13_record(self, rec: Record) -> None:
        side = self.sides[rec.sender]
        if side.decryptor is not None:
            result = side.decryptor.decrypt(rec.header, rec.payload)
            if result is None and side.app_secret is not None and not side.finished:
                # Missed the Finished (e.g. malformed): try the application key.
                side.decryptor.rekey(side.app_secret)
                side.finished = True
                result = side.decryptor.decrypt(rec.header, rec.payload)
            if result is not None:
                self.f["decrypted"] = True
                inner, plain = result
                if inner == CT_HANDSHAKE:
                    side.flight_seen = True
                    self.handshake_bytes(rec, plain, decrypted=True)
                elif inner == CT_ALERT and len(plain) == 2:
                    a = Alert(rec.sender, plain[0], plain[1], False, rec.time)
                    self.alerts.append(a)
                    self.msg(
                        rec,
                        "Alert",
                        len(rec.payload),
                        encrypted=True,
                        decrypted=True,
                        detail=a.name,
                    )
                elif inner == CT_APPDATA:
                    self.appdata(rec, decrypted=True)
                else:
                    self.msg(rec, f"ContentType({inner})", len(plain), decrypted=True)
                return
            self.fail(f"{rec.sender} record did not decrypt with the key log")
        # No keys: classify by position in the exchange.
        self.inferred = True
        if rec.last and len(rec.payload) in ENCRYPTED_ALERT_LENGTHS:
            self.alert(rec, None, None, encrypted=True)
            return
        first = self.first_client_encrypted
        if rec.sender == "server":
            # Before the client's encrypted flight; the first record always is.
            in_flight = first is None or rec.time < first or not side.flight_seen
        else:
            in_flight = rec.time == first
        if in_flight:
            side.flight_seen = True
            self.msg(rec, "EncryptedHandshake", len(rec.payload), encrypted=True)
        else:
            self.appdata(rec)

    def handshake_bytes(self, rec: Record, data: bytes, *, decrypted: bool) -> None:
        side = self.sides[rec.sender]
        side.buf += data
        while len(side.buf) >= 4:
            mtype = side.buf[0]
            length = int.from_bytes(side.buf[1:4])
            if length > MAX_HANDSHAKE_MESSAGE:
                side.buf.clear()
                raise Malformed(f"handshake message claims {length} bytes")
            if len(side.buf) < 4 + length:
                return
            body = bytes(side.buf[4 : 4 + length])
            del side.buf[: 4 + length]
            self.handshake_message(rec, mtype, body, decrypted)

    # -- handshake messages -----------------------------------------------------
    def handshake_message(self, rec: Record, mtype: int, body: bytes, decrypted: bool) -> None:
        name = handshake_type_name(mtype)
        sender = rec.sender
        if mtype == 2 and body[2:34] == HRR_RANDOM:
            name = "HelloRetryRequest"
        self.msg(rec, name, len(body) + 4, encrypted=decrypted, decrypted=decrypted)
        r = Reader(body)
        try:
            if mtype == 1 and sender == "client":
                self.client_hello_msg(r)
            elif mtype == 2 and sender == "server":
                self.server_hello_msg(r)
            elif mtype == 11:
                self.certificate_msg(r, sender)
            elif mtype == 12 and sender == "server":
                self.server_key_exchange(r)
            elif mtype == 13 and sender == "server":
                self.certificate_request_msg(r)
            elif mtype == 14 and sender == "server":
                self.sides["server"].hello_done = True
            elif mtype == 16 and sender == "client":
                self.client_key_exchange(r)
            elif mtype == 20:
                self.finished(sender)
            elif mtype == 4:
                self.f["new_session_ticket"] = True
            elif mtype == 24 and self.sides[sender].decryptor is not None:
                self.sides[sender].decryptor.key_update()  # type: ignore[union-attr]
        except Malformed as exc:
            self.fail(f"malformed {name} from {sender}: {exc}")

    @staticmethod
    def extensions(r: Reader) -> list[tuple[int, bytes]]:
        if not r.remaining:
            return []
        ext = r.sub(2)
        out = []
        while ext.remaining:
            out.append((ext.u16(), ext.vec(2)))
        return out

    def client_hello_msg(self, r: Reader) -> None:
        legacy = r.u16()
        random = r.take(32)
        session_id = r.vec(1)
        ciphers = r.u16_list(2)
        r.vec(1)  # compression methods
        exts = self.extensions(r)
        if self.client_hello:  # second ClientHello after HelloRetryRequest: same offer
            return
        self.client_hello = True
        self.client_random = random
        f = self.f
        f["client_legacy_version"] = legacy
        f["versions_offered"] = (legacy,)
        f["ciphers_offered"] = ciphers
        f["session_id_offered"] = len(session_id) > 0
        f["extensions_offered"] = tuple(t for t, _ in exts)
        for etype, data in exts:
            e = Reader(data)
            if etype == 0 and data:
                names = e.sub(2)
                while names.remaining:
                    kind, host = names.u8(), names.vec(2)
                    if kind == 0:
                        f["sni"] = host.decode("ascii", "replace")
            elif etype == 10:
                f["groups_offered"] = e.u16_list(2)
            elif etype == 13:
                f["sigalgs_offered"] = e.u16_list(2)
            elif etype == 43:
                f["versions_offered"] = e.u16_list(1)
            elif etype == 35:
                f["session_ticket_offered"] = len(data) > 0
            elif etype == 16:
                protos = e.sub(2)
                alpn = []
                while protos.remaining:
                    alpn.append(protos.vec(1).decode("ascii", "replace"))
                f["alpn_offered"] = tuple(alpn)
            elif etype == 51:
                shares = e.sub(2)
                groups = []
                while shares.remaining:
                    groups.append(shares.u16())
                    shares.vec(2)
                f["key_shares_offered"] = tuple(groups)
            elif etype == 41:
                ids = e.sub(2)
                while ids.remaining:
                    self.psk_identities.append(ids.vec(2))
                    ids.uint(4)  # obfuscated_ticket_age
                f["psk_identities_offered"] = tuple(
                    printable_identity(i) for i in self.psk_identities
                )

    def server_hello_msg(self, r: Reader) -> None:
        legacy = r.u16()
        random = r.take(32)
        session_id = r.vec(1)
        cipher = r.u16()
        compression = r.u8()
        exts = self.extensions(r)
        f = self.f
        hrr = random == HRR_RANDOM
        selected_version = legacy
        psk_selected: int | None = None
        for etype, data in exts:
            e = Reader(data)
            if etype == 43:
                selected_version = e.u16()
            elif etype == 51:
                f["kx_group"] = e.u16()
            elif etype == 41 and not hrr:
                psk_selected = e.u16()
        f["version_selected"] = selected_version
        f["cipher_selected"] = cipher
        if hrr:
            f["hello_retry"] = True
            f.pop("kx_group", None)
            return
        self.server_hello = True
        f["compression_selected"] = compression
        f["extensions_selected"] = tuple(t for t, _ in exts)
        if selected_version == TLS13:
            if psk_selected is not None and psk_selected < len(self.psk_identities):
                ident = self.psk_identities[psk_selected]
                external = len(ident) <= 128 and not printable_identity(ident).startswith("hex:")
                f["resumed"] = not external
                if external:
                    f["psk_identity"] = printable_identity(ident)
            else:
                f["resumed"] = False
            self.setup_tls13_keys(cipher)
        else:
            f["session_id_echoed"] = bool(session_id)

    def setup_tls13_keys(self, cipher: int) -> None:
        if self.keylog is None or not tls13_supported(cipher) or not self.client_random:
            return
        for sender, hs_label, app_label in (
            ("client", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"),
            ("server", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"),
        ):
            hs = self.keylog.get(hs_label, self.client_random)
            side = self.sides[sender]  # type: ignore[index]
            side.app_secret = self.keylog.get(app_label, self.client_random)
            if hs is not None:
                side.decryptor = RecordDecryptor(cipher, hs)

    def certificate_msg(self, r: Reader, sender: Sender) -> None:
        certs: list[CertInfo] = []
        if self.tls13:
            r.vec(1)  # certificate_request_context
            entries = r.sub(3)
            while entries.remaining:
                certs.append(cert_info(entries.vec(3)))
                entries.vec(2)  # per-certificate extensions
        else:
            entries = r.sub(3)
            while entries.remaining:
                certs.append(cert_info(entries.vec(3)))
        self.sides[sender].certificate_seen = True
        self.f[f"{sender}_certificates"] = tuple(certs)

    def server_key_exchange(self, r: Reader) -> None:
        suite = suite_by_code(self.f.get("cipher_selected", -1))
        if suite is None:
            return
        kex = suite.kex
        if "PSK" in kex:
            self.f["psk_identity_hint"] = printable_identity(r.vec(2))
        if kex.startswith(("DHE", "DH_anon")):
            p = r.vec(2)
            self.f["dh_prime_bits"] = int.from_bytes(p).bit_length()
        elif kex.startswith(("ECDHE", "ECDH_anon")):
            curve_type = r.u8()
            if curve_type == 3:  # named_curve
                self.f["kx_group"] = r.u16()

    def certificate_request_msg(self, r: Reader) -> None:
        self.f["certificate_request"] = True
        names: list[str] = []
        if self.tls13:
            r.vec(1)
            for etype, data in self.extensions(r):
                if etype == 47:
                    cas = Reader(data).sub(2)
                    while cas.remaining:
                        names.append(dn_string(cas.vec(2)))
        else:
            r.vec(1)  # certificate_types
            r.vec(2)  # supported_signature_algorithms
            cas = r.sub(2)
            while cas.remaining:
                names.append(dn_string(cas.vec(2)))
        self.f["certificate_request_ca_names"] = tuple(names)

    def client_key_exchange(self, r: Reader) -> None:
        self.sides["client"].key_exchange_seen = True
        suite = suite_by_code(self.f.get("cipher_selected", -1))
        if suite is not None and "PSK" in suite.kex:
            self.f["psk_identity"] = printable_identity(r.vec(2))

    def finished(self, sender: Sender) -> None:
        side = self.sides[sender]
        side.finished = True
        if side.decryptor is not None and side.app_secret is not None:
            side.decryptor.rekey(side.app_secret)

    # -- conclusion -------------------------------------------------------------
    def finish(self) -> Handshake:
        f = self.f
        cc, sc = self.cuts["client"], self.cuts["server"]
        client, server = self.sides["client"], self.sides["server"]
        fatal = next((a for a in self.alerts if a.level == FATAL), None)

        # What the capture lets us conclude about authentication.
        if not self.tls13:
            if server.hello_done:
                f.setdefault("certificate_request", False)
                f.setdefault("server_certificates", ())
            if server.ccs and not server.hello_done and self.server_hello:
                # Abbreviated handshake: no certificates are exchanged at all.
                f["resumed"] = True
                f.setdefault("certificate_request", False)
                f.setdefault("server_certificates", ())
                f.setdefault("client_certificates", ())
            elif server.hello_done:
                f["resumed"] = False
            if "client_certificates" not in f and (
                client.key_exchange_seen or f.get("certificate_request") is False
            ):
                f["client_certificates"] = ()
        else:
            if server.finished:  # server's flight decrypted
                f.setdefault("certificate_request", False)
                f.setdefault("server_certificates", ())
            if "client_certificates" not in f and (
                client.finished or f.get("certificate_request") is False
            ):
                f["client_certificates"] = ()
        f.pop("session_id_echoed", None)
        if f.get("new_session_ticket") is None and (server.finished or not self.tls13):
            f["new_session_ticket"] = bool(f.get("new_session_ticket"))

        # Outcome.
        negotiated: bool | None
        if fatal is not None or not self.server_hello:
            negotiated = False
        elif self.tls13 and not f.get("decrypted"):
            both_flights = server.flight_seen and client.flight_seen
            negotiated = None if both_flights else False
        else:
            negotiated = client.finished and server.finished
        concluded = negotiated is True or fatal is not None or (negotiated is None and self.tls13)

        reason = None
        if not cc.records and not sc.records and not (cc.error or sc.error):
            reason = "no data in either direction" if not (cc.truncated or sc.truncated) else None
        for candidate in (
            cc.error,
            sc.error,
            reason,
            None if self.client_hello or cc.truncated else "no ClientHello from the client",
            self.problem,
            cc.truncated,
            sc.truncated,
            None
            if self.server_hello or fatal is not None
            else "no ServerHello and no alert from the server",
            None
            if concluded
            else "handshake did not finish: no Finished from both sides and no fatal alert",
        ):
            if candidate:
                reason = candidate
                break
        else:
            reason = None
        if reason is not None and negotiated is True and (cc.error or sc.error or self.problem):
            negotiated = None  # the stream turned to garbage: do not vouch for it
        return Handshake(
            complete=reason is None,
            incomplete_reason=reason,
            negotiated=negotiated,
            alerts=tuple(self.alerts),
            messages=tuple(self.msgs),
            application_data=ApplicationData(
                client.records, client.bytes, server.records, server.bytes, self.inferred
            ),
            **f,
        )


def dissect_streams(
    client_to_server: Chunks,
    server_to_client: Chunks,
    *,
    keylog: KeyLog | Path | None = None,
    client: str | None = None,
    server: str | None = None,
) -> Handshake:
    """Dissect one connection given each direction as ``(time, bytes)`` chunks in order.

    Args:
        client_to_server: what the TLS client sent, as captured (any segmentation).
        server_to_client: what the TLS server sent.
        keylog: an NSS key log (or its path) of either endpoint, to decrypt the
            encrypted part of a TLS 1.3 handshake.
        client, server: endpoint labels (``"127.0.0.1:40000"``) to carry into the result.

    Returns:
        The Handshake; never raises on any input bytes.
    """
    if isinstance(keylog, Path):
        keylog = KeyLog.load(keylog)
    try:
        return _Dissector(client_to_server, server_to_client, keylog, client, server).run()
    except Exception as exc:  # a bug must not turn foreign bytes into a crash of the run
        return Handshake(
            complete=False,
            incomplete_reason=f"internal dissector error: {type(exc).__name__}: {exc}",
            negotiated=None,
            client=client,
            server=server,
        )


def alert_summary(h: Handshake) -> str:
    """One line naming the first fatal alert and its sender, for messages."""
    a = h.fatal_alert
    if a is None:
        return "no fatal alert"
    return f"{a.sender} sent {alert_name(a.description or 0)}({a.description})"
