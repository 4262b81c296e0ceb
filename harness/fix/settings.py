"""Per-session settings: who we are, who the peer is, and how we log on.

One frozen :class:`SessionSettings` describes a FIX session from one side. The same
class serves both roles: for an initiator, ``credentials`` are what it sends in its
Logon; for an acceptor, they are what it requires. ``from_mapping`` is the single
validating door from YAML/JSON/CLI data, and names the bad key on error.
"""

from __future__ import annotations

import binascii
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from harness.errors import HarnessError, LocatedError, SourceLocation

#: Session protocol versions this engine speaks. FIXT.1.1 carries FIX 5.0 application
#: messages and needs DefaultApplVerID(1137) in the Logon.
BEGIN_STRINGS: tuple[str, ...] = ("FIX.4.2", "FIX.4.4", "FIXT.1.1")

#: ApplVerID codes (tag 1128/1137 values): 7=FIX.5.0, 8=FIX.5.0SP1, 9=FIX.5.0SP2.
APPL_VER_IDS: dict[str, str] = {
    "2": "FIX.4.0",
    "3": "FIX.4.1",
    "4": "FIX.4.2",
    "5": "FIX.4.3",
    "6": "FIX.4.4",
    "7": "FIX.5.0",
    "8": "FIX.5.0SP1",
    "9": "FIX.5.0SP2",
}


@dataclass(frozen=True)
class Credentials:
    """FIX-level logon credentials, carried one of two ways.

    * Username(553)/Password(554): what the stunnel guide's engines use.
    * RawData(96) with RawDataLength(95) and EncryptMethod(98)=0: what FIXS v1.0
      recommends. ``raw_data`` is bytes and may hold any byte, SOH included.

    The repr never shows the secret.
    """

    username: str | None = None
    password: str | None = None
    raw_data: bytes | None = None

    def __repr__(self) -> str:
        parts = []
        if self.username is not None:
            parts.append(f"username={self.username!r}")
        if self.password is not None:
            parts.append("password='***'")
        if self.raw_data is not None:
            parts.append(f"raw_data=<{len(self.raw_data)} bytes>")
        return f"Credentials({', '.join(parts)})"

    __str__ = __repr__


class _Keep(enum.Enum):
    KEEP = "keep"


#: Default of :meth:`SessionSettings.swapped`'s ``credentials``: keep the ones this
#: side has. Passing ``None`` instead says "no credentials" explicitly.
KEEP: Final = _Keep.KEEP


@dataclass(frozen=True)
class SessionSettings:
    """One side of a FIX session.

    Attributes:
        sender_comp_id: our SenderCompID(49); the peer's TargetCompID.
        target_comp_id: the peer's SenderCompID(49); our TargetCompID(56).
        begin_string: FIX.4.2, FIX.4.4 or FIXT.1.1.
        default_appl_ver_id: DefaultApplVerID(1137) for FIXT.1.1 (e.g. "9" = FIX 5.0 SP2).
        heartbeat_interval: HeartBtInt(108) in seconds; 0 disables heartbeats.
        reset_on_logon: send ResetSeqNumFlag(141)=Y and start both sequences at 1.
        credentials: sent by an initiator, required by an acceptor; None = none.
        logon_timeout: seconds to wait for the Logon (reply) before disconnecting.
        logout_timeout: seconds to wait for the Logout reply before disconnecting.
    """

    sender_comp_id: str
    target_comp_id: str
    begin_string: str = "FIX.4.4"
    default_appl_ver_id: str | None = None
    heartbeat_interval: int = 30
    reset_on_logon: bool = False
    credentials: Credentials | None = None
    logon_timeout: float = 10.0
    logout_timeout: float = 10.0

    def __post_init__(self) -> None:
        if self.begin_string not in BEGIN_STRINGS:
            raise HarnessError(
                f"begin_string {self.begin_string!r} is not one of {', '.join(BEGIN_STRINGS)}"
            )
        if self.begin_string == "FIXT.1.1" and self.default_appl_ver_id is None:
            object.__setattr__(self, "default_appl_ver_id", "9")
        if self.default_appl_ver_id is not None and self.default_appl_ver_id not in APPL_VER_IDS:
            raise HarnessError(f"default_appl_ver_id {self.default_appl_ver_id!r} is not known")
        for name in ("sender_comp_id", "target_comp_id"):
            value = getattr(self, name)
            if not value or any(c in value for c in "\x01=|") or not value.isprintable():
                raise HarnessError(f"{name} {value!r} is not a valid CompID")
        if self.heartbeat_interval < 0:
            raise HarnessError("heartbeat_interval must be >= 0")
        if self.logon_timeout <= 0 or self.logout_timeout <= 0:
            raise HarnessError("logon_timeout and logout_timeout must be > 0")

    def swapped(
        self, *, credentials: Credentials | Literal[_Keep.KEEP] | None = KEEP
    ) -> SessionSettings:
        """The same session seen from the other side (CompIDs swapped).

        Args:
            credentials: the other side's credentials (what an acceptor requires,
                what an initiator sends). :data:`KEEP` (the default) keeps this
                side's; ``None`` means none at all (an acceptor that requires no
                credentials, an initiator that sends none).
        """
        return SessionSettings(
            sender_comp_id=self.target_comp_id,
            target_comp_id=self.sender_comp_id,
            begin_string=self.begin_string,
            default_appl_ver_id=self.default_appl_ver_id,
            heartbeat_interval=self.heartbeat_interval,
            reset_on_logon=self.reset_on_logon,
            credentials=self.credentials if credentials is KEEP else credentials,
            logon_timeout=self.logon_timeout,
            logout_timeout=self.logout_timeout,
        )

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, origin: SourceLocation | None = None
    ) -> SessionSettings:
        """Validate a settings mapping (from YAML, JSON or CLI flags).

        Keys: ``sender_comp_id``, ``target_comp_id`` (required), ``begin_string``,
        ``default_appl_ver_id``, ``heartbeat_interval``, ``reset_on_logon``,
        ``logon_timeout``, ``logout_timeout``, and ``credentials`` (a mapping with
        ``username``/``password``, or ``raw_data`` (text) / ``raw_data_hex``).

        Raises:
            HarnessError: naming the bad key (a LocatedError when ``origin`` is given).
        """

        def fail(msg: str) -> HarnessError:
            return LocatedError(origin, msg) if origin else HarnessError(msg)

        if not isinstance(data, Mapping):
            raise fail("FIX session settings must be a mapping")
        known = {
            "sender_comp_id": str,
            "target_comp_id": str,
            "begin_string": str,
            "default_appl_ver_id": str,
            "heartbeat_interval": int,
            "reset_on_logon": bool,
            "logon_timeout": (int, float),
            "logout_timeout": (int, float),
            "credentials": Mapping,
        }
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                raise fail(
                    f"unknown FIX session setting {key!r} (known: {', '.join(sorted(known))})"
                )
            want = known[key]
            if (isinstance(value, bool) and want is not bool) or not isinstance(value, want):  # type: ignore[arg-type]
                raise fail(
                    f"FIX session setting {key!r} has the wrong type ({type(value).__name__})"
                )
            kwargs[key] = value
        for key in ("sender_comp_id", "target_comp_id"):
            if key not in kwargs:
                raise fail(f"FIX session setting {key!r} is required")
        if "credentials" in kwargs:
            kwargs["credentials"] = _credentials_from_mapping(kwargs["credentials"], fail)
        try:
            return cls(**kwargs)
        except HarnessError as exc:
            raise fail(str(exc)) from None


def _credentials_from_mapping(data: Mapping[str, Any], fail: Any) -> Credentials:
    allowed = {"username", "password", "raw_data", "raw_data_hex"}
    for key, value in data.items():
        if key not in allowed:
            raise fail(f"unknown credentials key {key!r} (known: {', '.join(sorted(allowed))})")
        if not isinstance(value, str):
            raise fail(f"credentials key {key!r} must be a string")
    raw: bytes | None = None
    if "raw_data" in data and "raw_data_hex" in data:
        raise fail("credentials: give raw_data or raw_data_hex, not both")
    if "raw_data" in data:
        raw = data["raw_data"].encode("utf-8")
    if "raw_data_hex" in data:
        try:
            raw = binascii.unhexlify(data["raw_data_hex"])
        except (binascii.Error, ValueError):
            raise fail("credentials key 'raw_data_hex' is not hexadecimal") from None
    if raw is not None and ("password" in data or "username" in data):
        raise fail("credentials: use username/password or raw_data, not both")
    if raw is None and "password" not in data:
        raise fail("credentials need 'password' (with optional 'username') or 'raw_data'")
    if raw is not None and not raw:
        raise fail("credentials key 'raw_data' is empty")
    return Credentials(username=data.get("username"), password=data.get("password"), raw_data=raw)
