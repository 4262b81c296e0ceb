"""Backend names and pairs: ``client:server``, e.g. ``python:stunnel-local`` or
``python:stunnel-docker/bullseye``. An explicit registry maps names to backends."""

from __future__ import annotations

import os
from dataclasses import dataclass

from harness.backends.base import TunnelBackend
from harness.backends.python import PythonBackend
from harness.backends.stunnel_local import LocalStunnelBackend
from harness.errors import HarnessError

DOCKER_SUITES = ("bullseye", "bookworm", "trixie")
#: The interop matrix's members (``--matrix``): python and each stunnel image.
MATRIX_MEMBERS = ("python", *(f"stunnel-docker/{s}" for s in DOCKER_SUITES))


def backend_names() -> list[str]:
    return ["python", "stunnel-local", *(f"stunnel-docker/{s}" for s in DOCKER_SUITES)]


def make_backend(name: str) -> TunnelBackend:
    """The backend called ``name`` (raises HarnessError for an unknown name)."""
    if name == "python":
        return PythonBackend()
    if name == "stunnel-local":
        return LocalStunnelBackend(os.environ.get("FIXS_STUNNEL") or None)
    if name.startswith("stunnel-docker/"):
        suite = name.split("/", 1)[1]
        if suite not in DOCKER_SUITES:
            raise HarnessError(
                f"unknown stunnel-docker suite {suite!r}; known: {', '.join(DOCKER_SUITES)}"
            )
        from harness.backends.docker import DockerStunnelBackend

        return DockerStunnelBackend(suite)
    raise HarnessError(f"unknown backend {name!r}; known: {', '.join(backend_names())}")


@dataclass(frozen=True)
class BackendPair:
    client: str
    server: str

    @property
    def name(self) -> str:
        return f"{self.client}:{self.server}"

    @classmethod
    def parse(cls, text: str) -> BackendPair:
        client, sep, server = text.partition(":")
        if not sep or not client or not server:
            raise HarnessError(
                f"backend pair {text!r} must be CLIENT:SERVER, e.g. python:stunnel-local"
            )
        for name in (client, server):
            if name not in backend_names():
                raise HarnessError(
                    f"unknown backend {name!r} in {text!r}; known: {', '.join(backend_names())}"
                )
        return cls(client, server)


def all_pairs(members: tuple[str, ...] | list[str]) -> list[BackendPair]:
    return [BackendPair(c, s) for c in members for s in members]
