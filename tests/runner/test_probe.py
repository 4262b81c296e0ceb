"""The TCP_NODELAY probe reads only its own connection's sockets (issue 15, item 1).

Two Python tunnels (client → server → echo), a "FIX" connection through both that
is kept open (as one that would not close), then the probe. The lingering
connection's sockets match the probe's rules too (same listening ports, same next
hops): the probe must read the four sockets new with its own connection, and say
that the old connection had not closed.
"""

from __future__ import annotations

import socket
from pathlib import Path

from harness.backends.python import PythonBackend
from harness.pki import TestPKI
from harness.runner.execute import ScenarioRun, _probe_nodelay
from harness.runner.pairs import BackendPair
from harness.runner.sockets import live_sockets
from harness.stunnelconf import parse_config, resolve
from tests.tunnel.kit import EchoServer


def test_probe_skips_a_lingering_connection(tmp_path: Path) -> None:
    pki = TestPKI.create(tmp_path / "pki")
    echo = EchoServer()
    py = PythonBackend()
    server_conf = parse_config(
        f"[srv]\naccept = 127.0.0.1:0\nconnect = {echo.address[0]}:{echo.address[1]}\n"
        f"cert = {pki.server_rsa.pem_path}\nsslVersion = TLSv1.2\n"
    )
    try:
        with py.start(server_conf, tmp_path, label="server") as server:
            s_host, s_port = server.address()
            client_conf = parse_config(
                f"[cli]\nclient = yes\naccept = 127.0.0.1:0\nconnect = {s_host}:{s_port}\n"
                f"verifyChain = yes\nCAfile = {pki.chain_path}\ncheckHost = localhost\n"
            )
            with py.start(client_conf, tmp_path, label="client") as client:
                lingering = socket.create_connection(client.address(), timeout=5)
                try:
                    lingering.sendall(b"x")
                    assert lingering.recv(1) == b"x"  # the chain is up end to end
                    old = {
                        (s.local, s.remote)
                        for s in live_sockets(client.pid or 0)
                        if not s.listening
                    }
                    # the lingering connection's outgoing socket matches the probe's rule
                    assert any(remote == (s_host, s_port) for _local, remote in old)
                    obs = ScenarioRun(BackendPair("python", "python"))
                    _probe_nodelay(
                        client,
                        server,
                        resolve(client_conf).service("cli"),
                        resolve(server_conf).service("srv"),
                        (s_host, s_port),
                        echo.address,
                        obs,
                        "the FIX connection had not closed after 2 s; only the probe "
                        "connection's sockets were read",
                    )
                finally:
                    lingering.close()
    finally:
        echo.close()
    assert len(obs.sockets) == 4
    for n in obs.sockets:
        assert n.nodelay is True, n  # Python tunnel defaults: TCP_NODELAY=1 on l and r
        assert n.detail.startswith("probe connection: ")
        assert "had not closed after 2 s" in n.detail
        shown = n.detail.split("probe connection: ", 1)[1].split(" (", 1)[0]
        for local, remote in old:
            assert f"{local[0]}:{local[1]} -> {remote[0]}:{remote[1]}" not in shown, n
