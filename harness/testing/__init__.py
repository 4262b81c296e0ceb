"""Small real network helpers that scenarios and tests run beside the tunnels.

Theory of operation
-------------------
Each helper is a real server on a loopback address, started by a context manager
that has it listening before ``__enter__`` returns and stops it (sockets closed,
threads joined, child processes killed) on every path out:

- :class:`~harness.testing.connect_proxy.ConnectProxy`: an HTTP CONNECT proxy
  for stunnel's ``protocol = connect`` (optional Basic auth, loopback targets only).
- :class:`~harness.testing.ocsp.OcspResponder`: OCSP answers for the test PKI,
  produced by the real ``openssl ocsp`` per request.

They record what they were asked (without secrets) so a check can prove a tunnel
really went through the proxy or really asked the responder.
"""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Self


def free_loopback_port(host: str = "127.0.0.1") -> int:
    """A port that was free on ``host`` a moment ago.

    Only for the rare case where a port must be known *before* its server starts
    (an OCSP URL baked into certificates). There is a small window in which
    another process could take it; prefer binding port 0 wherever possible.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class LoopbackService:
    """The lifecycle both helpers share: ``start()`` has the server listening and
    returns it, ``stop()`` releases everything it holds and may be called on any
    path (also twice, or after a failed start); ``with`` does both."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self, timeout: float = 5.0) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


__all__ = ["LoopbackService", "free_loopback_port"]
