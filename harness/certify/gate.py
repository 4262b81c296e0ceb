"""Pacing of probe connections per host, for counterparties that rate-limit.

Some counterparties (or the firewalls in front of them) drop or blacklist a client
that opens many connections in a burst; a scan opens a few dozen. ``certify fleet``
in "gentle" mode asks for at least ``interval`` seconds between the starts of two
probe connections to one address: :func:`pace` sets that for an address,
:func:`wait_turn` (called by the probe before each connect) sleeps until the
address's next slot. Slots are handed out in call order under one lock, so
concurrent probes to the same host queue up instead of bursting. With no address
paced (the default) :func:`wait_turn` returns at once.

The limit on connections open at once to a host is the scan's own concurrency
(``ScanOptions.concurrency``); the fleet runs counterparties that share a paced
host one at a time.
"""

from __future__ import annotations

import threading
import time

_lock = threading.Lock()
_interval: dict[str, float] = {}
_next_slot: dict[str, float] = {}


def pace(address: str, interval: float) -> None:
    """At least ``interval`` seconds between connection starts to ``address``
    (0 removes the pacing)."""
    with _lock:
        if interval > 0:
            _interval[address] = interval
        else:
            _interval.pop(address, None)
            _next_slot.pop(address, None)


def wait_turn(address: str) -> float:
    """Sleep until ``address`` may be connected to again; returns the seconds slept."""
    if not _interval:  # fast path: nothing paced
        return 0.0
    with _lock:
        interval = _interval.get(address)
        if interval is None:
            return 0.0
        now = time.monotonic()
        slot = max(now, _next_slot.get(address, 0.0))
        _next_slot[address] = slot + interval
    wait = slot - now
    if wait > 0:
        time.sleep(wait)
    return max(wait, 0.0)
