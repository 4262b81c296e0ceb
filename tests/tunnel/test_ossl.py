"""pyOpenSSL/cryptography internals: used only through harness.tunnel.ossl, and still there.

An upgrade that renames or drops a private attribute or a C symbol must fail here
(and at import of the Python tunnel), not show up later as a verify callback that
raises inside OpenSSL and lets a handshake take another path.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
import trustme
from OpenSSL import SSL
from packaging.requirements import Requirement

from harness.tunnel import ossl

HARNESS = Path(ossl.__file__).resolve().parents[1]
PYPROJECT = HARNESS.parent / "pyproject.toml"

#: Private pyOpenSSL/cryptography access that must stay inside ossl.py.
PRIVATE = re.compile(
    r"\._context\b|\._ssl\b|_reverse_mapping|_raise_ssl_error|bindings\.openssl"
    r"|OpenSSL\._util|OpenSSL\.SSL\._|\b(?:ffi|lib)\._"
)
LIB_USE = re.compile(r"\b_?lib\.([A-Za-z_][A-Za-z0-9_]*)")


def _sources() -> list[Path]:
    return sorted(p for p in HARNESS.rglob("*.py") if p != Path(ossl.__file__).resolve())


def test_every_private_attribute_and_symbol_is_present() -> None:
    ossl.verify()  # raises InternalsChanged listing what is gone


@pytest.mark.parametrize(
    ("owner", "name", "reported"),
    [
        (SSL.Connection, "_raise_ssl_error", "Connection._raise_ssl_error"),
        (SSL.Connection, "_reverse_mapping", "Connection._reverse_mapping"),
        (ossl.lib, "SSL_CTX_set_verify", "lib.SSL_CTX_set_verify"),
    ],
)
def test_verify_fails_loudly_when_something_is_gone(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, reported: str
) -> None:
    """Negative control for the check above: remove one thing, verify() names it."""
    if owner is ossl.lib:  # cffi lib objects refuse delattr: use a stand-in
        monkeypatch.setattr(ossl, "lib", _Without(ossl.lib, name))
    else:
        monkeypatch.delattr(owner, name)
    with pytest.raises(ossl.InternalsChanged, match=re.escape(reported)) as caught:
        ossl.verify()
    assert ossl.versions() in str(caught.value)


def test_verify_checks_the_pointer_types(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Connection whose ``_ssl`` is no longer an ``SSL *`` is caught too."""
    original = SSL.Connection.__init__

    def init(self: SSL.Connection, *args: object) -> None:
        original(self, *args)  # type: ignore[arg-type]
        self._ssl = object()

    monkeypatch.setattr(SSL.Connection, "__init__", init)
    with pytest.raises(ossl.InternalsChanged, match=r"Connection\._ssl \(not an SSL \*"):
        ossl.verify()


class _Without:
    def __init__(self, inner: object, missing: str) -> None:
        self._inner, self._missing = inner, missing

    def __getattr__(self, name: str) -> object:
        if name == self._missing:
            raise AttributeError(name)
        return getattr(self._inner, name)


def test_private_access_only_in_ossl() -> None:
    offenders = [
        f"{path.relative_to(HARNESS.parent)}:{n}: {line.strip()}"
        for path in _sources()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert offenders == []
    # Negative control: the pattern does find ossl.py's own uses.
    assert len(PRIVATE.findall(Path(ossl.__file__).read_text(encoding="utf-8"))) >= 4


def test_c_symbols_list_is_exactly_what_the_harness_uses() -> None:
    used = {m for path in _sources() for m in LIB_USE.findall(path.read_text(encoding="utf-8"))}
    assert used, "the scan found no lib.X use at all: the pattern is broken"
    assert sorted(used - set(ossl.C_SYMBOLS)) == []  # used but not checked
    assert sorted(set(ossl.C_SYMBOLS) - used) == []  # checked but no longer used


def test_installed_versions_are_in_the_pinned_range() -> None:
    deps = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    pins = {Requirement(d).name.lower(): Requirement(d).specifier for d in deps}
    for dist in ("pyopenssl", "cryptography"):
        spec = pins[dist]
        assert "999.0" not in spec, f"{dist} has no upper bound: {spec}"
        assert version(dist) in spec, f"{dist} {version(dist)} is outside the tested {spec}"


def _pair() -> tuple[SSL.Connection, SSL.Connection]:
    """A client and a server over memory BIOs, handshake done."""
    ca = trustme.CA()
    server_ctx = SSL.Context(SSL.TLS_METHOD)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    client_ctx = SSL.Context(SSL.TLS_METHOD)
    ca.configure_trust(client_ctx)
    client_ctx.set_verify(SSL.VERIFY_PEER)
    server, client = SSL.Connection(server_ctx, None), SSL.Connection(client_ctx, None)
    server.set_accept_state()
    client.set_connect_state()
    done: set[int] = set()
    for _ in range(10):
        for conn in (client, server):
            try:
                conn.do_handshake()
                done.add(id(conn))
            except SSL.WantReadError:
                pass
        _pump(client, server)
        if len(done) == 2:
            return client, server
    raise AssertionError("memory-BIO handshake did not finish")


def _pump(a: SSL.Connection, b: SSL.Connection) -> None:
    for src, dst in ((a, b), (b, a)):
        with contextlib.suppress(SSL.WantReadError):
            dst.bio_write(src.bio_read(65536))


def test_raw_read_write_and_pyopenssl_errors() -> None:
    """What proxy.py's relay does: SSL_read/SSL_write on ``SSL *`` with cffi buffers,
    and pyOpenSSL's own exceptions for the results <= 0."""
    lib, ffi = ossl.lib, ossl.ffi
    client, server = _pair()
    assert ossl.connection_of(ossl.ssl_ptr(client)) is client
    buf = ffi.new("char[]", 64)
    n = lib.SSL_read(ossl.ssl_ptr(server), buf, 64)
    assert n <= 0
    with pytest.raises(SSL.WantReadError):
        ossl.raise_ssl_error(server, ossl.ssl_ptr(server), n)
    out = ffi.new("char[]", b"8=FIX.4.4")
    assert lib.SSL_write(ossl.ssl_ptr(client), out, 9) == 9
    _pump(client, server)
    n = lib.SSL_read(ossl.ssl_ptr(server), buf, 64)
    assert bytes(ffi.buffer(buf, n)) == b"8=FIX.4.4"
    assert lib.SSL_pending(ossl.ssl_ptr(server)) == 0
    assert lib.SSL_session_reused(ossl.ssl_ptr(server)) == 0
    client.shutdown()
    _pump(client, server)
    n = lib.SSL_read(ossl.ssl_ptr(server), buf, 64)
    with pytest.raises(SSL.ZeroReturnError):
        ossl.raise_ssl_error(server, ossl.ssl_ptr(server), n)
