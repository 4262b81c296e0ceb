"""Files for a real stunnel server in tests: a trustme leaf and its key (0600)."""

from __future__ import annotations

import os
from pathlib import Path

import trustme


def server_files(directory: Path) -> Path:
    """Write ``server.pem`` and ``server.key`` (for ``127.0.0.1``) into ``directory``."""
    leaf = trustme.CA().issue_cert("127.0.0.1")
    (directory / "server.pem").write_bytes(leaf.cert_chain_pems[0].bytes())
    key = directory / "server.key"
    key.write_bytes(leaf.private_key_pem.bytes())
    os.chmod(key, 0o600)
    return directory
