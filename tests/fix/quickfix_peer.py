"""A QuickFIX acceptor in its own process, for the interop tests.

Run as ``python -m tests.fix.quickfix_peer PORT``. Prints ``ready`` once listening,
then ``RECV <message with | for SOH>`` for each application message, and answers
NewOrderSingle with an ExecutionReport built by QuickFIX. Exits when stdin closes.
It lives in a separate process because this QuickFIX wheel's ``SocketAcceptor.stop()``
sometimes crashes the interpreter after a session ran; the process simply exits
instead of stopping the engine.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from tests.fix.test_interop_quickfix import QuickFixApp, _config, fix


class PrintingApp(QuickFixApp):
    def fromApp(self, message: object, session_id: object) -> None:
        print("RECV " + message.toString().replace("\x01", "|"), flush=True)  # type: ignore[attr-defined]
        super().fromApp(message, session_id)


def main() -> None:
    port = int(sys.argv[1])
    tmp = Path(tempfile.mkdtemp(prefix="qf-acceptor-"))
    settings = _config(
        tmp,
        "ConnectionType=acceptor\nSenderCompID=SELLSIDE\nTargetCompID=BUYSIDE\n"
        f"SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n",
    )
    app = PrintingApp(answer_orders=True)
    engine = fix.SocketAcceptor(app, fix.MemoryStoreFactory(), settings)
    engine.start()
    print("ready", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    os._exit(0)


if __name__ == "__main__":
    main()
