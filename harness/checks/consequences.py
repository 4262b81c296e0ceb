"""Checks that could not run because an earlier one failed: ``not-reached``.

``evaluate()`` marks a check it could not judge ``inconclusive``. Two of those are
not unknowns at all but consequences of a failure already reported, and reading them
as "could not check" would hide the one defect behind several:

- the HTTP CONNECT proxy refused the client tunnel (``proxy.connect`` failed) and no
  handshake reached the server: every check that needed the handshake, the logs or a
  FIX session is a consequence of ``proxy.connect``;
- the FIX Logon failed (``fix.logon`` failed): the runner reads TCP_NODELAY only
  through an established FIX session (runner/execute.py probes only after an accepted
  Logon), so an unread ``socket.nodelay`` is a consequence of ``fix.logon``.

Such a check becomes ``not-reached`` with ``consequence_of`` naming the failed check;
a scenario's fold (``combine``) is unchanged by this (the failure decides it), but a
self-test (harness.checks.selftest) can tell an explained gap from a real unknown.
"""

from __future__ import annotations

from dataclasses import replace

from harness.checks.model import CheckResult, Verdict


def _failed(checks: list[CheckResult], check_id: str) -> bool:
    return any(c.id == check_id and c.verdict is Verdict.FAIL for c in checks)


def mark_not_reached(checks: list[CheckResult]) -> list[CheckResult]:
    """``checks`` with the inconclusive consequences of a failed check marked
    ``not-reached`` (see the module docstring for the two rules)."""
    proxy_refused = _failed(checks, "proxy.connect") and any(
        c.id == "tls.handshake.captured" and c.verdict is Verdict.INCONCLUSIVE for c in checks
    )
    logon_failed = _failed(checks, "fix.logon")
    out: list[CheckResult] = []
    for c in checks:
        cause = None
        if c.verdict is Verdict.INCONCLUSIVE:
            if proxy_refused:
                cause = "proxy.connect"
            elif logon_failed and c.id == "socket.nodelay":
                cause = "fix.logon"
        if cause is None:
            out.append(c)
        else:
            out.append(
                replace(
                    c,
                    verdict=Verdict.NOT_REACHED,
                    consequence_of=cause,
                    reason=f"not reached: consequence of {cause}"
                    + (f" ({c.reason})" if c.reason else ""),
                )
            )
    return out
