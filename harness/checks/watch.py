"""What watching a counterparty over time adds to a result: comparable endpoint
facts, certificate expiry dates, and the changes since a baseline report.

A counterparty is certified once and then lives for years while both sides renew
certificates, upgrade stunnel and change cipher lists. Three small frozen records
carry what answers "what changed since we signed off?" and "what breaks next?":

* :class:`EndpointFacts` — what a ``certify server`` scan accepted (versions,
  suites per version, preference order), in a form two reports can be compared by;
* :class:`CertExpiry` — one certificate's ``not_after`` and where it came from (the
  served chain, a pin file, a CA file), with the days left when it was judged;
* :class:`DriftSection` — the list of :class:`Change` s between a baseline report and
  this one ("changes since <date>").

All three are optional parts of the result model (``ScenarioResult.endpoint``,
``ScenarioResult.expiry``, ``RunResult.drift``); a report without them is as before.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SuiteOrder:
    """The server's choice among suites at one version: ``server_order`` True when
    it imposes its own order (then ``order`` is that order), False when it follows
    the client's, None when it could not be told (fewer than two suites)."""

    server_order: bool | None
    order: tuple[str, ...] = ()


@dataclass(frozen=True)
class EndpointFacts:
    """What a server accepted, by wire observation (cipher codes as ``0xC030``)."""

    versions: tuple[str, ...] = ()
    suites: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (version, codes accepted)
    preference: tuple[tuple[str, SuiteOrder], ...] = ()  # (version, order)


@dataclass(frozen=True)
class CertExpiry:
    """One certificate's end of validity, as judged against an expiry horizon.

    ``source`` says where it came from: ``served chain`` (depth gives the position,
    0 the leaf), ``pin file NAME`` or ``CA file NAME``, or a config option in lint.
    ``days_left`` is whole days from the judgement to ``not_after`` (negative when
    already expired).
    """

    source: str
    subject: str
    sha256: str
    not_after: str  # ISO 8601, UTC
    days_left: int
    depth: int | None = None


@dataclass(frozen=True)
class Change:
    """One difference between a baseline report and a later one.

    ``kind`` is one of ``verdict``, ``version``, ``suite``, ``preference``,
    ``certificate``, ``client-auth``, ``psk``, ``fix-logon``, ``negotiated``,
    ``check``, ``result``; ``subject`` names what changed (a result, a version, a
    certificate field); ``before``/``after`` are short texts (empty when absent).
    """

    kind: str
    subject: str
    before: str
    after: str
    text: str
    result: str = ""  # the scenario@pair the change belongs to (empty for a one-result run)


@dataclass(frozen=True)
class DriftSection:
    """Changes since a baseline: the baseline's start time and file, and each change."""

    since: str  # ISO 8601 start time of the baseline run
    baseline: str  # the baseline file as given
    changes: tuple[Change, ...] = ()

    @property
    def drifted(self) -> bool:
        return bool(self.changes)
