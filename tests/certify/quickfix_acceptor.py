"""A QuickFIX acceptor that checks Logon passwords, in its own process (certify tests).

Run as ``QF_CERTIFY_PASSWORD=... python -m tests.certify.quickfix_acceptor PORT``: SenderCompID
SERVER1, TargetCompID CLIENT1; a Logon whose Password(554) is not that password is refused
by QuickFIX itself (``RejectLogon``: Logout with Text(58), disconnect). Prints
``ready`` once listening; exits when stdin closes (this wheel's ``stop()`` may crash
after a session ran, so the process just exits, as tests/fix/quickfix_peer.py does).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.fix.test_interop_quickfix import QuickFixApp, _config, fix


class CheckingApp(QuickFixApp):
    def __init__(self, password: str) -> None:
        super().__init__()
        self._expected = password

    def fromAdmin(self, message: Any, session_id: Any) -> None:
        if message.getHeader().getField(35) != "A":
            return
        given = message.getField(554) if message.isSetField(554) else None
        if given != self._expected:
            raise fix.RejectLogon("invalid password")


def main() -> None:
    port, password = int(sys.argv[1]), os.environ["QF_CERTIFY_PASSWORD"]
    tmp = Path(tempfile.mkdtemp(prefix="qf-certify-"))
    settings = _config(
        tmp,
        "ConnectionType=acceptor\nSenderCompID=SERVER1\nTargetCompID=CLIENT1\n"
        f"SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\nResetOnLogon=Y\n",
    )
    engine = fix.SocketAcceptor(CheckingApp(password), fix.MemoryStoreFactory(), settings)
    engine.start()
    print("ready", flush=True)
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
