"""The facts the dissector extracts: frozen, JSON-ready, free of secrets.

A :class:`Handshake` says what was seen on the wire of one TCP connection, and
nothing else: a field is ``None`` when the capture cannot show it (e.g. a TLS 1.3
client certificate without a key log), never a guess. PSK keys, traffic secrets and
application data never enter these objects; PSK *identities* and identity hints
are public on the wire and are kept.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.tls.registry import (
    CipherSuite,
    alert_name,
    extension_name,
    format_code,
    group_name,
    signature_scheme_name,
    suite_by_code,
    version_name,
)

Sender = Literal["client", "server"]

#: Alert levels (RFC 5246 7.2).
WARNING, FATAL = 1, 2


@dataclass(frozen=True)
class CertInfo:
    """One X.509 certificate as sent in a Certificate message.

    ``not_before``/``not_after`` are ISO 8601 UTC strings; ``sha256`` is the
    fingerprint of the DER encoding in lower-case hex (what pinning compares);
    ``key_type`` is ``RSA``, ``EC``, ``Ed25519``, ``Ed448``, ``DSA`` or ``unknown``;
    for EC keys ``key_curve`` names the curve. ``der`` is the certificate as
    sent, for callers that verify or pin it; it is left out of :meth:`to_dict`
    (``sha256`` names it) and of comparisons.
    """

    subject: str
    issuer: str
    sans: tuple[str, ...]
    key_type: str
    key_bits: int | None
    not_before: str
    not_after: str
    sha256: str
    serial: str
    key_curve: str | None = None
    self_signed: bool = False
    parse_error: str | None = None
    der: bytes = field(default=b"", repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        del d["der"]
        return d


@dataclass(frozen=True)
class Alert:
    """A TLS alert and who sent it.

    ``encrypted`` alerts were sent under record protection that the capture could
    not remove (after ChangeCipherSpec in TLS 1.2, after ServerHello in TLS 1.3
    without a key log): their level and description are unknown (``None``), and
    the alert may be a harmless close_notify.
    """

    sender: Sender
    level: int | None
    description: int | None
    encrypted: bool
    time: float

    @property
    def name(self) -> str:
        if self.description is None:
            return "encrypted_alert"
        return alert_name(self.description)

    @property
    def fatal(self) -> bool:
        return self.level == FATAL

    def to_dict(self) -> dict[str, Any]:
        return {
            "sender": self.sender,
            "level": {WARNING: "warning", FATAL: "fatal"}.get(self.level or 0, self.level),
            "description": self.description,
            "name": self.name,
            "encrypted": self.encrypted,
            "time": self.time,
        }


@dataclass(frozen=True)
class Refusal:
    """Was a handshake refused, by whom, with what alert: the one reading of the wire
    that ``run``'s checks, ``certify server`` and ``certify client`` share.

    ``refused``: True when a side sent a fatal alert (or an alert the capture could
    not decrypt before the handshake finished) or the connection broke off before
    both Finished; False when both Finished were seen and no fatal alert; ``None``
    when the capture cannot tell (TLS 1.3 without a key log and no alert, or no
    conclusion captured). ``by``: the sender of ``alert``; ``None`` when no alert
    was sent (a bare close: the handshake facts do not say which side closed).
    ``alert``: the first such alert; its ``description`` is ``None`` when encrypted.

    Each caller words the answer from its own seat: ``certify server`` is the
    client, so a refusal ``by`` the client is its own probe giving up, not the
    server refusing.
    """

    refused: bool | None
    by: Sender | None = None
    alert: Alert | None = None

    @property
    def how(self) -> str:
        """``handshake_failure(40) from the server``, ``an encrypted alert from the
        client``, ``no alert``."""
        a = self.alert
        if a is None:
            return "no alert"
        if a.description is None:
            return f"an encrypted alert from the {a.sender}"
        return f"{a.name}({a.description}) from the {a.sender}"


@dataclass(frozen=True)
class HandshakeMessage:
    """One step of the ladder diagram: a handshake message, CCS, alert or record.

    ``type`` is the message name (``ClientHello``, ``ServerHello``, ``Certificate``,
    ``ChangeCipherSpec``, ``Finished``, ``Alert``, ``ApplicationData``,
    ``EncryptedHandshake``, ``NewSessionTicket`` ...); ``encrypted`` says the
    message was seen only as ciphertext (its type then inferred from its place in
    the handshake) or was decrypted with a key log (``decrypted``).
    """

    time: float
    sender: Sender
    type: str
    length: int
    encrypted: bool = False
    decrypted: bool = False
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ApplicationData:
    """Application-data records per direction (counts and ciphertext bytes).

    ``inferred`` is true when TLS 1.3 records were classified without a key log,
    by their place in the exchange (the first encrypted flight of each side is
    taken as handshake, the rest as application data).
    """

    client_records: int = 0
    client_bytes: int = 0
    server_records: int = 0
    server_bytes: int = 0
    inferred: bool = False

    @property
    def seen(self) -> bool:
        return self.client_records > 0 or self.server_records > 0

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["seen"] = self.seen
        return d


def _records(m: HandshakeMessage) -> int:
    """Records in a (possibly merged) ApplicationData ladder step."""
    return int(m.detail.split()[0]) if m.detail else 1


def _suite_dict(code: int | None) -> dict[str, Any] | None:
    if code is None:
        return None
    suite = suite_by_code(code)
    return {
        "code": format_code(code),
        "iana_name": suite.iana_name if suite else None,
        "openssl_name": suite.openssl_name if suite else None,
    }


def _named_list(codes: tuple[int, ...], namer: Any) -> list[dict[str, Any]]:
    return [{"code": format_code(c), "name": namer(c)} for c in codes]


@dataclass(frozen=True)
class Handshake:
    """Everything one TLS handshake showed on the wire.

    Completeness and outcome are separate questions:

    * ``complete``: the capture holds an analysable exchange from ClientHello to a
      conclusion (both Finished, or a fatal alert, or both TLS 1.3 encrypted
      flights). When false, ``incomplete_reason`` says why (not TLS, truncated,
      capture gap, no ServerHello, ...), and nothing below is to be trusted as a
      conclusion.
    * ``negotiated``: True when both sides finished the handshake, False when it was
      refused or broke off, ``None`` when the capture cannot tell (TLS 1.3 without a
      key log: the Finished messages are encrypted).

    Versions, cipher codes, groups and signature schemes are the wire numbers; use
    :mod:`harness.tls.registry` or :meth:`to_dict` for names.
    """

    complete: bool
    incomplete_reason: str | None
    negotiated: bool | None = None
    client: str | None = None
    server: str | None = None
    # ClientHello
    client_legacy_version: int | None = None
    versions_offered: tuple[int, ...] = ()
    ciphers_offered: tuple[int, ...] = ()
    sni: str | None = None
    groups_offered: tuple[int, ...] = ()
    key_shares_offered: tuple[int, ...] = ()
    sigalgs_offered: tuple[int, ...] = ()
    alpn_offered: tuple[str, ...] = ()
    extensions_offered: tuple[int, ...] = ()
    session_id_offered: bool = False
    session_ticket_offered: bool = False
    psk_identities_offered: tuple[str, ...] = ()
    # ServerHello
    version_selected: int | None = None
    cipher_selected: int | None = None
    compression_selected: int | None = None
    hello_retry: bool = False
    resumed: bool | None = None
    extensions_selected: tuple[int, ...] = ()
    # key exchange
    kx_group: int | None = None
    dh_prime_bits: int | None = None
    psk_identity_hint: str | None = None
    psk_identity: str | None = None
    # authentication
    server_certificates: tuple[CertInfo, ...] | None = None
    client_certificates: tuple[CertInfo, ...] | None = None
    certificate_request: bool | None = None
    certificate_request_ca_names: tuple[str, ...] = ()
    # outcome
    alerts: tuple[Alert, ...] = ()
    application_data: ApplicationData = field(default_factory=ApplicationData)
    new_session_ticket: bool | None = None
    decrypted: bool = False
    messages: tuple[HandshakeMessage, ...] = ()

    # -- derived facts ---------------------------------------------------------
    @property
    def cipher_suite(self) -> CipherSuite | None:
        return suite_by_code(self.cipher_selected) if self.cipher_selected is not None else None

    @property
    def version_name(self) -> str | None:
        return version_name(self.version_selected) if self.version_selected else None

    @property
    def fatal_alert(self) -> Alert | None:
        """The first fatal alert whose description is visible, if any."""
        return next((a for a in self.alerts if a.fatal), None)

    @property
    def refusal(self) -> Refusal:
        """Refused, by whom, with what (see :class:`Refusal`).

        The first alert that is fatal, or encrypted while the handshake is not known
        to have finished, decides: a finished handshake's encrypted alert is its
        close_notify, while a TLS 1.3 refusal after Finished is visible (and fatal)
        with a key log.
        """
        alert = next(
            (a for a in self.alerts if a.fatal or (a.encrypted and self.negotiated is not True)),
            None,
        )
        if alert is not None:
            return Refusal(True, alert.sender, alert)
        if self.negotiated is None:
            return Refusal(None)
        return Refusal(not self.negotiated)

    @property
    def mutual_tls(self) -> bool | None:
        """A client certificate was sent (None when that part was encrypted)."""
        if self.client_certificates is None:
            return None
        return len(self.client_certificates) > 0

    def comparable(self) -> Handshake:
        """The same facts as seen from any capture point of the same connection.

        Two captures of one connection (the tap on one leg, the sniffer on the
        other) differ in times, in the client's address and, for records both
        sides send concurrently (a TLS 1.3 NewSessionTicket crossing the client's
        first data), in how the two directions interleave. This drops all three:
        times are zeroed, addresses removed, and messages and alerts are listed
        per sender (client first) in each sender's own order, with runs of
        application data merged.
        """
        msgs: list[HandshakeMessage] = []
        for sender in ("client", "server"):
            for m in self.messages:
                if m.sender != sender:
                    continue
                m = dataclasses.replace(m, time=0.0)
                prev = msgs[-1] if msgs else None
                if (
                    prev is not None
                    and prev.sender == sender
                    and prev.type == m.type == "ApplicationData"
                ):
                    count = _records(prev) + _records(m)
                    msgs[-1] = dataclasses.replace(
                        prev, length=prev.length + m.length, detail=f"{count} records"
                    )
                else:
                    msgs.append(m)
        alerts = sorted(self.alerts, key=lambda a: a.sender != "client")
        return dataclasses.replace(
            self,
            client=None,
            server=None,
            alerts=tuple(dataclasses.replace(a, time=0.0) for a in alerts),
            messages=tuple(msgs),
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: codes as ``0xC030`` with names beside them."""
        return {
            "complete": self.complete,
            "incomplete_reason": self.incomplete_reason,
            "negotiated": self.negotiated,
            "client": self.client,
            "server": self.server,
            "client_legacy_version": version_name(self.client_legacy_version)
            if self.client_legacy_version
            else None,
            "versions_offered": [version_name(v) for v in self.versions_offered],
            "version_selected": self.version_name,
            "ciphers_offered": [_suite_dict(c) for c in self.ciphers_offered],
            "cipher_selected": _suite_dict(self.cipher_selected),
            "compression_selected": self.compression_selected,
            "sni": self.sni,
            "groups_offered": _named_list(self.groups_offered, group_name),
            "key_shares_offered": _named_list(self.key_shares_offered, group_name),
            "sigalgs_offered": _named_list(self.sigalgs_offered, signature_scheme_name),
            "alpn_offered": list(self.alpn_offered),
            "extensions_offered": _named_list(self.extensions_offered, extension_name),
            "session_id_offered": self.session_id_offered,
            "session_ticket_offered": self.session_ticket_offered,
            "psk_identities_offered": list(self.psk_identities_offered),
            "hello_retry": self.hello_retry,
            "resumed": self.resumed,
            "extensions_selected": _named_list(self.extensions_selected, extension_name),
            "kx_group": {"code": format_code(self.kx_group), "name": group_name(self.kx_group)}
            if self.kx_group is not None
            else None,
            "dh_prime_bits": self.dh_prime_bits,
            "psk_identity_hint": self.psk_identity_hint,
            "psk_identity": self.psk_identity,
            "server_certificates": None
            if self.server_certificates is None
            else [c.to_dict() for c in self.server_certificates],
            "client_certificates": None
            if self.client_certificates is None
            else [c.to_dict() for c in self.client_certificates],
            "certificate_request": self.certificate_request,
            "certificate_request_ca_names": list(self.certificate_request_ca_names),
            "alerts": [a.to_dict() for a in self.alerts],
            "application_data": self.application_data.to_dict(),
            "new_session_ticket": self.new_session_ticket,
            "decrypted": self.decrypted,
            "messages": [m.to_dict() for m in self.messages],
        }
