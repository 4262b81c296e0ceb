"""Backend names and pairs: ``client:server``, e.g. ``python:stunnel-local`` or
``python:stunnel-docker/bullseye``. An explicit registry maps names to backends."""

from __future__ import annotations

import os
import threading
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


_BACKENDS: dict[tuple[str, str], TunnelBackend] = {}
_BACKENDS_LOCK = threading.Lock()


def make_backend(name: str) -> TunnelBackend:
    """The backend called ``name``, one instance per name (and per ``FIXS_STUNNEL``)
    for the process, so that each backend's availability check (``stunnel -version``,
    a Docker engine round trip) runs once, not once per scenario.

    Raises:
        HarnessError: an unknown name.
    """
    key = (name, os.environ.get("FIXS_STUNNEL", ""))
    with _BACKENDS_LOCK:
        backend = _BACKENDS.get(key)
        if backend is None:
            backend = _BACKENDS[key] = _new_backend(name)
    return backend


def _new_backend(name: str) -> TunnelBackend:
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


LOCAL_MEMBERS = ("python", "stunnel-local")


def select_pairs(
    explicit: list[str], *, local: bool = False, matrix: bool = False
) -> list[BackendPair]:
    """The pairs a run asked for: explicit ``CLIENT:SERVER`` ones, the four local
    pairs, the 16 matrix pairs; ``python:python`` when nothing was asked for."""
    pairs = [BackendPair.parse(p) for p in explicit]
    if local:
        pairs += all_pairs(LOCAL_MEMBERS)
    if matrix:
        pairs += all_pairs(MATRIX_MEMBERS)
    return list(dict.fromkeys(pairs)) or [BackendPair("python", "python")]
