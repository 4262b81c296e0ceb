"""The one door to pyOpenSSL's and cryptography's private internals.

Theory of operation
-------------------
The Python tunnel behaves like stunnel only where it reaches below pyOpenSSL's
public API: a verify callback that can set the store error (``SSL_CTX_set_verify``),
PSK callbacks, ``SSL_CTX_set1_curves_list``, the peer chain inside the callback, and a
hot relay loop that calls ``SSL_read``/``SSL_write`` on buffers allocated once. That
needs four private pyOpenSSL attributes and a set of C symbols that cryptography's
cffi binding (``cryptography.hazmat.bindings.openssl``, not a public API) happens to
export because pyOpenSSL uses them:

=============================================  ======================================
private use                                    what for
=============================================  ======================================
``Context._context``                           the ``SSL_CTX *`` (:func:`ctx_ptr`)
``Connection._ssl``                            the ``SSL *`` (:func:`ssl_ptr`)
``Connection._reverse_mapping``                ``SSL *`` back to its Connection in a
                                               callback (:func:`connection_of`)
``Connection._raise_ssl_error(ssl, result)``   pyOpenSSL's own exception for a failed
                                               ``SSL_read``/``SSL_write`` (so log lines
                                               match ``recv``/``send``)
``Binding().lib`` / ``.ffi`` with              the C calls above
:data:`C_SYMBOLS`
=============================================  ======================================

Nothing else in the harness may touch them: ``tlsctx`` and ``proxy`` go through
this module, and ``tests/tunnel/test_ossl.py`` fails when anything outside it does.
A new pyOpenSSL or cryptography release may rename or drop any of these (cryptography
prunes bindings pyOpenSSL stops using), so ``pyproject.toml`` pins the tested range
and :func:`verify` runs at import: a missing attribute or symbol stops the Python
tunnel at once with the versions and the names, instead of failing inside an OpenSSL
callback, where an exception is printed and the handshake silently goes another way.
"""

from __future__ import annotations

from typing import Any

import cryptography
import OpenSSL
from cryptography.hazmat.bindings.openssl.binding import Binding
from OpenSSL import SSL

_binding = Binding()
#: cryptography's cffi ``lib`` (OpenSSL's C functions and constants) and ``ffi``.
lib: Any = _binding.lib
ffi: Any = _binding.ffi

#: Every C symbol the harness uses from :data:`lib`; a test checks that the harness
#: uses no other, and :func:`verify` that each one exists.
C_SYMBOLS: tuple[str, ...] = (
    "BIO_free",
    "BIO_get_mem_data",
    "BIO_new",
    "BIO_s_mem",
    "SSL_CTX_get_options",
    "SSL_CTX_set1_curves_list",
    "SSL_CTX_set_psk_client_callback",
    "SSL_CTX_set_psk_server_callback",
    "SSL_CTX_set_verify",
    "SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER",
    "SSL_MODE_ENABLE_PARTIAL_WRITE",
    "SSL_OP_NO_RENEGOTIATION",
    "SSL_get_ex_data_X509_STORE_CTX_idx",
    "SSL_pending",
    "SSL_read",
    "SSL_session_reused",
    "SSL_write",
    "X509_STORE_CTX_get1_chain",
    "X509_STORE_CTX_get_current_cert",
    "X509_STORE_CTX_get_error",
    "X509_STORE_CTX_get_error_depth",
    "X509_STORE_CTX_get_ex_data",
    "X509_STORE_CTX_set_error",
    "X509_V_ERR_APPLICATION_VERIFICATION",
    "X509_V_ERR_CERT_REJECTED",
    "X509_V_ERR_CERT_REVOKED",
    "X509_V_ERR_CERT_UNTRUSTED",
    "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "X509_free",
    "X509_verify_cert_error_string",
    "i2d_X509_bio",
    "sk_X509_free",
    "sk_X509_num",
    "sk_X509_value",
)

#: The ``ffi`` methods used (``ffi.NULL`` too).
FFI_ATTRIBUTES: tuple[str, ...] = ("NULL", "buffer", "callback", "memmove", "new", "string")

#: The callback signatures the harness hands to :func:`ffi.callback`; each must parse.
CALLBACK_TYPES: tuple[str, ...] = (
    "int(int, X509_STORE_CTX *)",
    "unsigned int(SSL *, const char *, char *, unsigned int, unsigned char *, unsigned int)",
    "unsigned int(SSL *, const char *, unsigned char *, unsigned int)",
)


class InternalsChanged(ImportError):
    """pyOpenSSL or cryptography no longer has what this module relies on."""


def ctx_ptr(ctx: SSL.Context) -> Any:
    """The context's ``SSL_CTX *``."""
    return ctx._context


def ssl_ptr(conn: SSL.Connection) -> Any:
    """The connection's ``SSL *``."""
    return conn._ssl


def connection_of(ssl: Any) -> SSL.Connection | None:
    """The pyOpenSSL Connection owning ``SSL *`` ``ssl`` (in a callback), if alive."""
    conn: SSL.Connection | None = SSL.Connection._reverse_mapping.get(ssl)
    return conn


def raise_ssl_error(conn: SSL.Connection, ssl: Any, result: int) -> None:
    """Raise pyOpenSSL's exception for ``result`` of an ``SSL_read``/``SSL_write`` on
    ``ssl`` (``WantReadError``, ``ZeroReturnError``, ``SysCallError``, ``Error``), the
    same one ``Connection.recv``/``send`` would raise. Returns when there is none."""
    conn._raise_ssl_error(ssl, result)


def versions() -> str:
    """``pyOpenSSL X, cryptography Y``: for error messages."""
    return f"pyOpenSSL {OpenSSL.__version__}, cryptography {cryptography.__version__}"


def verify() -> None:
    """Check that every private attribute and C symbol used exists with the expected
    shape; raise :class:`InternalsChanged` listing what is missing.

    Cheap (attribute look-ups, two small objects); runs once at import.
    """
    problems: list[str] = []
    problems += [f"lib.{name}" for name in C_SYMBOLS if not hasattr(lib, name)]
    problems += [f"ffi.{name}" for name in FFI_ATTRIBUTES if not hasattr(ffi, name)]
    for signature in CALLBACK_TYPES:
        try:
            ffi.typeof(signature.replace("(", "(*)(", 1))  # as a function pointer
        except Exception as exc:  # cffi raises CDefError/FFIError/TypeError
            problems.append(f"ffi type {signature!r} ({exc})")
    if not callable(getattr(SSL.Connection, "_raise_ssl_error", None)):
        problems.append("OpenSSL.SSL.Connection._raise_ssl_error")
    if not hasattr(getattr(SSL.Connection, "_reverse_mapping", None), "get"):
        problems.append("OpenSSL.SSL.Connection._reverse_mapping")
    try:
        ctx = SSL.Context(SSL.TLS_METHOD)
        conn = SSL.Connection(ctx, None)
        for what, ptr, cname in (
            ("OpenSSL.SSL.Context._context", getattr(ctx, "_context", None), "SSL_CTX *"),
            ("OpenSSL.SSL.Connection._ssl", getattr(conn, "_ssl", None), "SSL *"),
        ):
            if not isinstance(ptr, ffi.CData) or ffi.typeof(ptr).cname != cname:
                problems.append(f"{what} (not an {cname} of cryptography's ffi: {ptr!r})")
        if "OpenSSL.SSL.Connection._ssl" not in " ".join(problems):
            if connection_of(ssl_ptr(conn)) is not conn:
                problems.append("OpenSSL.SSL.Connection._reverse_mapping (does not map SSL *)")
    except Exception as exc:  # any surprise here is itself the finding
        problems.append(f"making a Context/Connection failed: {exc!r}")
    if problems:
        raise InternalsChanged(
            f"the Python tunnel relies on pyOpenSSL/cryptography internals that {versions()} "
            f"no longer has: {', '.join(problems)}. Install the range pinned in "
            "pyproject.toml, or port harness/tunnel/ossl.py and run tests/tunnel/test_ossl.py."
        )


verify()
