"""Self-test support in the runner: which scenarios run, and the one harness knob.

Self-test scenarios (``selftest: {must_fail: [...]}``, docs/scenarios.md) show that
checks can fail; they are not compliance results. They live in ``selftest/``
directories, which a directory search does not enter unless asked for
(``--selftest``); naming the directory or a file in it runs them. So
``fixs-harness run scenarios`` (what ``./bootstrap run`` does) leaves
``scenarios/selftest/`` out of its reports.

``log.matches-wire`` compares a tunnel's log with the wire. Honest tunnels log what
they negotiated, so no configuration makes them disagree; ``misreport_log`` is the
explicit, self-test-only knob that makes the harness misread one tunnel's log
(:func:`misreport_log`). It changes the facts the checks read, never the log file
kept in the artifacts, and the result carries a note saying what was replaced.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from harness.runner.execute import ScenarioRun

# Two suites every registry knows; the substitute is whichever differs from the log's.
_SUBSTITUTES = ("AES128-GCM-SHA256", "AES256-GCM-SHA384")


SELFTEST_DIR = "selftest"


def left_out(path: Path, searched: Path) -> bool:
    """Whether a directory search of ``searched`` leaves ``path`` out: it lies in a
    sub-directory named ``selftest``. Searching that directory (or naming the file)
    runs it; so does ``--selftest``, which skips this test altogether."""
    try:
        relative = path.relative_to(searched)
    except ValueError:
        return False
    return SELFTEST_DIR in relative.parts[:-1]


def misreport_log(obs: ScenarioRun, side: str) -> str:
    """Replace the cipher the ``side`` tunnel's log reports for its first connection
    with another suite, in the facts the checks read (the log file is untouched).

    Returns the note for the report. A log that reports no negotiation is left as it
    is (then ``log.matches-wire`` has nothing to disagree with and the self-test
    fails, as it should).
    """
    facts = obs.client_log if side == "client" else obs.server_log
    conn = obs.first_connection(side)
    if conn is None or conn.cipher is None:
        return (
            f"self-test knob misreport_log: the {side} tunnel's log reports no negotiation; "
            "nothing was replaced"
        )
    substitute = next(s for s in _SUBSTITUTES if s != conn.cipher)
    facts.connections[conn.ident] = dataclasses.replace(conn, cipher=substitute)
    return (
        f"self-test knob misreport_log: the harness replaced the cipher the {side} "
        f"tunnel's log reports ({conn.cipher}) with {substitute} before the checks read "
        "it; the log file in the artifacts is unchanged"
    )
