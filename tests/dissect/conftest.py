from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.capture.tap import TapRelay
from harness.dissect import Handshake, dissect_pcap
from tests.capture.peers import OPENSSL, Pki, make_pki


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if OPENSSL is None:
        pytest.skip("needs openssl")
    return make_pki(tmp_path_factory.mktemp("pki"))


Capture = Callable[..., Handshake]


@pytest.fixture
def tapped(tmp_path: Path) -> Iterator[Capture]:
    """``tapped(server_port, run)``: run ``run(target)`` through a tap, return the Handshake."""
    taps: list[TapRelay] = []

    def capture(
        server_port: int, run: Callable[[tuple[str, int]], object], **kw: object
    ) -> Handshake:
        pcap = tmp_path / f"c{len(taps)}.pcap"
        tap = TapRelay(("127.0.0.1", server_port), pcap).start()
        taps.append(tap)
        try:
            capture.last_run = run(tap.address)  # type: ignore[attr-defined]
            assert tap.wait_idle(10.0), "relayed connection did not end"
        finally:
            tap.stop()
        handshakes = dissect_pcap(pcap, server_port=server_port, **kw)  # type: ignore[arg-type]
        assert len(handshakes) == 1, handshakes
        return handshakes[0]

    try:
        yield capture
    finally:
        for tap in taps:
            tap.stop()
