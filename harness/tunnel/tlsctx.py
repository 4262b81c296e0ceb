"""One OpenSSL context per service, configured the way stunnel 5.68 configures its own.

Theory of operation: pyOpenSSL gives the context; where stunnel relies on OpenSSL
features pyOpenSSL does not wrap, we call OpenSSL through cryptography's bindings
(every private attribute and C symbol through :mod:`harness.tunnel.ossl`):

- the verify callback is installed with ``SSL_CTX_set_verify`` directly so that it can
  set the store error (stunnel sets ``X509_V_ERR_CERT_REJECTED`` when a pinned leaf's
  public key does not match, which makes OpenSSL send ``bad_certificate``); its logic
  is stunnel's ``verify.c``: pre-verification errors reject under ``verifyChain``;
  under ``verifyPeer`` alone, "unable to get local issuer", "unable to verify leaf
  signature" and "cert untrusted" are forgiven at depth 0 when the leaf itself is
  installed locally (subject and public key match); subject checks (``checkHost``,
  ``checkIP``, ``checkEmail``) pass when ANY configured check matches (5.48+); OCSP is
  asked at every depth except a self-signed root;
- PSK uses ``SSL_CTX_set_psk_server_callback`` / ``..._client_callback``; the same
  callbacks serve TLS 1.3 (OpenSSL then uses the key as an external PSK with SHA-256
  suites only), as in stunnel.

Cipher preference is the client's unless the config says ``options =
CIPHER_SERVER_PREFERENCE`` (stunnel does not set it by default); every ``options =
[-]NAME`` line is applied in file order over the defaults (NO_SSLv3, NO_COMPRESSION).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from OpenSSL import SSL, crypto

from harness.stunnelconf import ConfigError, ServiceSettings
from harness.stunnelconf.options import SSL_OPTIONS
from harness.stunnelconf.semantics import PskEntry, parse_psk_secrets
from harness.tls.versions import openssl_version
from harness.tunnel import ocsp, ossl, x509util
from harness.tunnel.log import DEBUG, ERR, INFO, NOTICE, WARNING, ConnLog, StunnelLog

_lib: Any = ossl.lib
_ffi: Any = ossl.ffi

_FFDHE2048 = Path(__file__).with_name("ffdhe2048.pem")

# X509_V_ERR_* that leaf pinning forgives at depth 0 (stunnel 5.68 verify.c)
_PIN_FORGIVEN = {
    _lib.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
    _lib.X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
    _lib.X509_V_ERR_CERT_UNTRUSTED,
}


def install_psk_client(
    ctx: SSL.Context,
    identity: str,
    key: bytes,
    on_use: Callable[[Any], None] | None = None,
) -> Any:
    """Install OpenSSL's PSK client callback on ``ctx``: it answers every handshake
    with ``identity`` and ``key`` (TLS 1.2 PSK suites, and TLS 1.3 external PSK).
    ``on_use(ssl)`` runs each time the key is handed out. The returned ffi callback
    must be kept alive as long as the context."""
    ident = identity.encode()

    def callback(ssl: Any, hint: Any, id_out: Any, max_id: int, psk: Any, max_psk: int) -> int:
        if len(ident) + 1 > max_id or len(key) > max_psk:
            return 0
        _ffi.memmove(id_out, ident + b"\0", len(ident) + 1)
        _ffi.memmove(psk, key, len(key))
        if on_use is not None:
            on_use(ssl)
        return len(key)

    cb = _ffi.callback(
        "unsigned int(SSL *, const char *, char *, unsigned int, unsigned char *, unsigned int)",
        callback,
    )
    _lib.SSL_CTX_set_psk_client_callback(ossl.ctx_ptr(ctx), cb)
    return cb


class TLSConnState:
    """Per-connection data the OpenSSL callbacks need (set as the Connection's app data)."""

    __slots__ = ("log", "peer_subject", "psk_identity", "verify_failure")

    def __init__(self, log: ConnLog) -> None:
        self.log = log
        self.psk_identity: str | None = None
        self.peer_subject: str | None = None
        self.verify_failure: str | None = None


def _x509_ptr_to_cert(ptr: Any) -> x509.Certificate:
    bio = _lib.BIO_new(_lib.BIO_s_mem())
    try:
        _lib.i2d_X509_bio(bio, ptr)
        buf = _ffi.new("char **")
        n = _lib.BIO_get_mem_data(bio, buf)
        der = bytes(_ffi.buffer(buf[0], n))
    finally:
        _lib.BIO_free(bio)
    return x509.load_der_x509_certificate(der)


def _verify_error_string(err: int) -> str:
    return str(_ffi.string(_lib.X509_verify_cert_error_string(err)).decode())


def _state_of(ssl_ptr: Any) -> TLSConnState | None:
    conn = ossl.connection_of(ssl_ptr)
    if conn is None:
        return None
    state = conn.get_app_data()
    return state if isinstance(state, TLSConnState) else None


def _file_error(svc: ServiceSettings, option: str, message: str) -> ConfigError:
    return ConfigError(svc.where(option), f"Service [{svc.name}]: {message}")


def _ssl_error_text(exc: Exception) -> str:
    if isinstance(exc, SSL.Error) and exc.args and isinstance(exc.args[0], list):
        reasons = [r[2] for r in exc.args[0] if len(r) >= 3 and r[2]]
        if reasons:
            return "; ".join(reasons)
    return str(exc) or exc.__class__.__name__


class ServiceTLS:
    """The TLS side of one service: context, verification, PSK, session cache."""

    def __init__(
        self,
        svc: ServiceSettings,
        log: StunnelLog,
        *,
        keylog_path: str | None = None,
        hex_psk_keys: bool = True,
    ) -> None:
        self.svc = svc
        self.log = log
        self._ui = ConnLog(log, "ui")
        self._keep: list[Any] = []  # ffi callbacks must outlive the context
        self._local_certs: dict[bytes, list[x509.Certificate]] = {}
        self._psk: dict[str, bytes] = {}
        self._psk_client: PskEntry | None = None
        self._client_session: SSL.Session | None = None
        self._keylog_path = keylog_path
        self.ctx = SSL.Context(SSL.TLS_METHOD)
        self._configure(hex_psk_keys)

    # ------------------------------------------------------------------ setup

    def _check_files(self) -> None:
        """Every file the service names must exist before OpenSSL is asked to read it,
        so that the error names the option's line and the file, not an OpenSSL stack."""
        svc = self.svc
        for option, path, want_dir in (
            ("cert", svc.cert, False),
            ("key", svc.key, False),
            ("CAfile", svc.ca_file, False),
            ("CApath", svc.ca_path, True),
            ("CRLfile", svc.crl_file, False),
            ("CRLpath", svc.crl_path, True),
            ("PSKsecrets", svc.psk_secrets, False),
        ):
            if path is None:
                continue
            ok = os.path.isdir(path) if want_dir else os.path.isfile(path)
            if not ok:
                what = "directory" if want_dir else "file"
                raise ConfigError(
                    svc.where(option),
                    f'"{option} = {path}": No such {what} (Service [{svc.name}])',
                )

    def _configure(self, hex_psk_keys: bool) -> None:
        svc, ctx = self.svc, self.ctx
        self._check_files()
        self._ui(INFO, f"Initializing service [{svc.name}]")
        options = SSL.OP_NO_COMPRESSION | SSL.OP_NO_SSLv3
        if not svc.renegotiation:
            options |= _lib.SSL_OP_NO_RENEGOTIATION
        ctx.set_options(options)
        # ``options = [-]NAME`` lines, in file order, over the defaults (as stunnel)
        for set_it, name in svc.ssl_options:
            value = SSL_OPTIONS[name]
            if value == 0:
                self._ui(DEBUG, f"TLS option {name} has no effect with OpenSSL 3")
            elif set_it:
                ctx.set_options(value)
            elif int(_lib.SSL_CTX_get_options(ossl.ctx_ptr(ctx))) & value:
                # pyOpenSSL and cryptography's bindings have no SSL_CTX_clear_options:
                # an option that is on cannot be turned off here; say so, never ignore
                raise _file_error(
                    svc,
                    "options",
                    f"options = -{name}: clearing an option that is set (by default or "
                    "above) is not supported by the Python tunnel",
                )
        if svc.ssl_options:
            current = int(_lib.SSL_CTX_get_options(ossl.ctx_ptr(ctx)))
            self._ui(DEBUG, f"TLS options: 0x{current:08X} (config)")
        ctx.set_mode(_lib.SSL_MODE_ENABLE_PARTIAL_WRITE | _lib.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER)
        if svc.version_min is not None:
            ctx.set_min_proto_version(openssl_version(svc.version_min))
        if svc.version_max is not None:
            ctx.set_max_proto_version(openssl_version(svc.version_max))
        level = max(svc.security_level if svc.security_level is not None else 2, 0)
        self._ui(INFO, f"OpenSSL security level is used: {level}")
        cipher_list = svc.ciphers
        if svc.security_level is not None:
            cipher_list = f"{cipher_list}:@SECLEVEL={svc.security_level}"
        try:
            ctx.set_cipher_list(cipher_list.encode())
        except SSL.Error as exc:
            raise _file_error(
                svc, "ciphers", f"SSL_CTX_set_cipher_list: {_ssl_error_text(exc)}"
            ) from None
        try:
            ctx.set_tls13_ciphersuites(svc.ciphersuites.encode())
        except SSL.Error as exc:
            raise _file_error(
                svc, "ciphersuites", f"SSL_CTX_set_ciphersuites: {_ssl_error_text(exc)}"
            ) from None
        if svc.curves:
            if not _lib.SSL_CTX_set1_curves_list(ossl.ctx_ptr(ctx), svc.curves.encode()):
                raise _file_error(svc, "curves", "Invalid groups list in 'curves'")
        if svc.session_resume:
            self._ui(INFO, "Session resumption enabled")
            if not svc.client:
                ctx.set_session_id(svc.name.encode()[:32] or b"stunnel")
                ctx.set_timeout(svc.session_cache_timeout)
                if svc.session_cache_size != 1000:
                    # SSL_CTX_sess_set_cache_size is not reachable from Python: the
                    # cache keeps OpenSSL's own bound (20480 sessions)
                    self._ui(
                        NOTICE,
                        f"sessionCacheSize = {svc.session_cache_size}: the Python tunnel "
                        "keeps OpenSSL's session cache size (20480)",
                    )
        else:
            ctx.set_session_cache_mode(SSL.SESS_CACHE_OFF)
            ctx.set_options(SSL.OP_NO_TICKET)
        self._load_certificate()
        if not svc.client:
            self._load_dh()
        self._load_verification()
        if svc.psk_secrets:
            self._load_psk(hex_psk_keys)
        if self._keylog_path:
            path = self._keylog_path

            def keylog(conn: SSL.Connection, line: bytes) -> None:
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line + b"\n")
                finally:
                    os.close(fd)

            ctx.set_keylog_callback(keylog)

    def _load_dh(self) -> None:
        """DHE needs parameters: those appended to the cert file (as stunnel reads
        them), else RFC 7919 ffdhe2048 (stunnel uses built-in 2048-bit ones)."""
        source = str(_FFDHE2048)
        if self.svc.cert:
            with open(self.svc.cert, "rb") as fh:
                if b"BEGIN DH PARAMETERS" in fh.read():
                    source = self.svc.cert
        self.ctx.load_tmp_dh(source.encode())
        self._ui(DEBUG, f"DH parameters loaded from {source}")

    def _warn_permissions(self, path: str) -> None:
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            self._ui(WARNING, f"Insecure file permissions on {path}")

    def _load_certificate(self) -> None:
        svc = self.svc
        if not svc.cert:
            if not svc.client and not svc.psk_secrets:
                raise _file_error(svc, "accept", "TLS server needs a certificate")
            self._ui(INFO, "No certificate or private key specified")
            return
        self._ui(INFO, f"Loading certificate from file: {svc.cert}")
        try:
            self.ctx.use_certificate_chain_file(svc.cert)
        except SSL.Error as exc:
            raise _file_error(
                svc,
                "cert",
                f"SSL_CTX_use_certificate_chain_file: {svc.cert}: {_ssl_error_text(exc)}",
            ) from None
        self._ui(INFO, f"Certificate loaded from file: {svc.cert}")
        key = svc.key or svc.cert
        self._ui(INFO, f"Loading private key from file: {key}")
        self._warn_permissions(key)
        try:
            self.ctx.use_privatekey_file(key)
            self.ctx.check_privatekey()
        except SSL.Error as exc:
            raise _file_error(
                svc, "key" if svc.key else "cert", f"Private key: {key}: {_ssl_error_text(exc)}"
            ) from None
        self._ui(INFO, f"Private key loaded from file: {key}")

    def _load_verification(self) -> None:
        svc, ctx = self.svc, self.ctx
        if svc.ca_file or svc.ca_path:
            for option, path in (("CAfile", svc.ca_file), ("CApath", svc.ca_path)):
                if path and not os.path.exists(path):
                    raise _file_error(svc, option, f"{option} {path}: No such file or directory")
            try:
                ctx.load_verify_locations(svc.ca_file, svc.ca_path)
            except SSL.Error as exc:
                raise _file_error(
                    svc,
                    "CAfile" if svc.ca_file else "CApath",
                    f"Error loading verify locations: {_ssl_error_text(exc)}",
                ) from None
            if svc.ca_file:
                with open(svc.ca_file, "rb") as fh:
                    certs = x509util.load_pem_certificates(fh.read())
                if not certs and not svc.ca_path:
                    raise _file_error(svc, "CAfile", "No trusted certificates found")
                for cert in certs:
                    self._local_certs.setdefault(cert.subject.public_bytes(), []).append(cert)
                    side = "server" if svc.client else "client"
                    self._ui(
                        INFO, f"Configured trusted {side} CA: {x509util.name_text(cert.subject)}"
                    )
                if not svc.client:
                    ctx.load_client_ca(svc.ca_file.encode())
        store = ctx.get_cert_store()
        assert store is not None
        if svc.crl_file:
            try:
                with open(svc.crl_file, "rb") as fh:
                    data = fh.read()
                crls = [
                    x509.load_pem_x509_crl(b"-----BEGIN X509 CRL-----" + part)
                    for part in data.split(b"-----BEGIN X509 CRL-----")[1:]
                ]
            except (OSError, ValueError) as exc:
                raise _file_error(
                    svc, "CRLfile", f"Failed to load {svc.crl_file} revocation lookup file: {exc}"
                ) from None
            if not crls:
                # stunnel (X509_load_crl_file) refuses a file without a CRL the same way;
                # accepting it would silently turn revocation checking into "nothing revoked"
                raise _file_error(
                    svc,
                    "CRLfile",
                    f"Failed to load {svc.crl_file} revocation lookup file: no CRL in it "
                    "(no '-----BEGIN X509 CRL-----' line)",
                )
            for crl in crls:
                store.add_crl(crl)
            self._ui(DEBUG, f"Loaded {svc.crl_file} revocation lookup file")
        if svc.crl_path:
            if not os.path.isdir(svc.crl_path):
                raise _file_error(
                    svc, "CRLpath", f"Failed to add {svc.crl_path} revocation lookup directory"
                )
            store.load_locations(None, svc.crl_path)
        if svc.crl_file or svc.crl_path:
            store.set_flags(crypto.X509StoreFlags.CRL_CHECK)
        mode = 0
        if svc.request_cert:
            mode |= SSL.VERIFY_PEER
            if svc.require_cert:
                mode |= SSL.VERIFY_FAIL_IF_NO_PEER_CERT
        callback = _ffi.callback("int(int, X509_STORE_CTX *)", self._verify_callback)
        self._keep.append(callback)
        _lib.SSL_CTX_set_verify(ossl.ctx_ptr(ctx), mode, callback)
        if svc.client and not (svc.verify_peer or svc.verify_chain) and not svc.psk_secrets:
            self._ui(WARNING, f"Service [{svc.name}] needs authentication to prevent MITM attacks")

    def _load_psk(self, hex_keys: bool) -> None:
        svc = self.svc
        path = svc.psk_secrets
        assert path is not None
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise _file_error(
                svc, "PSKsecrets", f"Failed to read PSK secrets {path}: {exc.strerror}"
            ) from None
        self._warn_permissions(path)
        try:
            entries = parse_psk_secrets(text, path=path, hex_keys=hex_keys)
        except ConfigError as exc:
            raise ConfigError(
                svc.where("PSKsecrets"), f'"PSKsecrets = {path}": {exc.message}'
            ) from None
        for entry in entries:
            self._ui(INFO, f"PSKsecrets line {entry.line}: {entry.describe()}")
            self._psk.setdefault(entry.identity, entry.key)
        self._ui(INFO, f"PSK identities: {len(entries)} retrieved")
        if svc.client:
            wanted = svc.psk_identity or entries[0].identity
            match = next((e for e in entries if e.identity == wanted), None)
            if match is None:
                raise _file_error(
                    svc, "PSKidentity", f'No pre-shared key found for PSK identity "{wanted}"'
                )
            self._psk_client = match

            def used(ssl: Any) -> None:
                state = _state_of(ssl)
                if state is not None:
                    state.psk_identity = match.identity
                    state.log(INFO, f'PSK client configured for identity "{match.identity}"')

            self._keep.append(install_psk_client(self.ctx, match.identity, match.key, used))
        else:
            cb = _ffi.callback(
                "unsigned int(SSL *, const char *, unsigned char *, unsigned int)",
                self._psk_server_callback,
            )
            self._keep.append(cb)
            _lib.SSL_CTX_set_psk_server_callback(ossl.ctx_ptr(self.ctx), cb)

    # ------------------------------------------------------------- callbacks

    def _psk_server_callback(self, ssl: Any, identity: Any, psk: Any, max_len: int) -> int:
        state = _state_of(ssl)
        name = _ffi.string(identity).decode("utf-8", "replace") if identity else ""
        key = self._psk.get(name)
        if state is not None:
            state.psk_identity = name
        if key is None or len(key) > max_len:
            if state is not None:
                state.log(ERR, "PSK identity not found (session resumption?)")
            return 0
        _ffi.memmove(psk, key, len(key))
        if state is not None:
            state.log(NOTICE, f'Key configured for PSK identity "{name}"')
        return len(key)

    def _verify_callback(self, preverify_ok: int, store_ctx: Any) -> int:
        try:
            return self._verify(preverify_ok, store_ctx)
        except Exception as exc:  # a bug must reject, never accept
            ssl = _lib.X509_STORE_CTX_get_ex_data(
                store_ctx, _lib.SSL_get_ex_data_X509_STORE_CTX_idx()
            )
            state = _state_of(ssl)
            if state is not None:
                state.log(ERR, f"CERT: internal error in verification: {exc!r}")
            return 0

    def _verify(self, preverify_ok: int, store_ctx: Any) -> int:
        svc = self.svc
        ssl = _lib.X509_STORE_CTX_get_ex_data(store_ctx, _lib.SSL_get_ex_data_X509_STORE_CTX_idx())
        state = _state_of(ssl)
        log: Callable[[int, str], None] = state.log if state else (lambda level, text: None)
        if not svc.verify_chain and not svc.verify_peer:
            log(INFO, "Certificate verification disabled")
            return 1
        depth = _lib.X509_STORE_CTX_get_error_depth(store_ctx)
        cert = _x509_ptr_to_cert(_lib.X509_STORE_CTX_get_current_cert(store_ctx))
        subject = x509util.name_text(cert.subject)
        log(DEBUG, f"Verification started at depth={depth}: {subject}")
        if not self._cert_check(preverify_ok, store_ctx, depth, cert, log):
            log(WARNING, f"Rejected by CERT at depth={depth}: {subject}")
            if state is not None:
                state.verify_failure = f"Rejected by CERT at depth={depth}: {subject}"
            return 0
        if (svc.ocsp_url or svc.ocsp_aia) and not self._ocsp_check(store_ctx, depth, cert, log):
            log(WARNING, f"Rejected by OCSP at depth={depth}: {subject}")
            if state is not None:
                state.verify_failure = f"Rejected by OCSP at depth={depth}: {subject}"
            return 0
        log(INFO if depth else NOTICE, f"Certificate accepted at depth={depth}: {subject}")
        if depth == 0 and state is not None:
            state.peer_subject = subject
        return 1

    def _cert_check(
        self,
        preverify_ok: int,
        store_ctx: Any,
        depth: int,
        cert: x509.Certificate,
        log: Callable[[int, str], None],
    ) -> bool:
        svc = self.svc
        if preverify_ok:
            log(DEBUG, "CERT: Pre-verification succeeded")
        else:
            err = _lib.X509_STORE_CTX_get_error(store_ctx)
            text = _verify_error_string(err)
            if svc.verify_chain or (depth == 0 and err not in _PIN_FORGIVEN):
                log(WARNING, f"CERT: Pre-verification error: {text}")
                return False
            if depth == 0:
                log(INFO, f"CERT: Pre-verification error ignored: {text}")
            else:
                log(INFO, "CERT: Invalid CA certificate ignored")
        if depth != 0:
            return True
        if not self._check_subject(cert, log):
            return False
        if svc.verify_peer and not self._check_local(cert, log):
            _lib.X509_STORE_CTX_set_error(store_ctx, _lib.X509_V_ERR_CERT_REJECTED)
            return False
        return True

    def _check_subject(self, cert: x509.Certificate, log: Callable[[int, str], None]) -> bool:
        svc = self.svc
        if not (svc.check_host or svc.check_ip or svc.check_email):
            log(INFO, "CERT: No subject checks configured")
            return True
        for host in svc.check_host:
            if x509util.check_host(cert, host):
                log(INFO, f'CERT: Host name "{host}" matched with "{host}"')
                return True
        for mail in svc.check_email:
            if x509util.check_email(cert, mail):
                log(INFO, f'CERT: Email address "{mail}" matched')
                return True
        for ip in svc.check_ip:
            if x509util.check_ip(cert, ip):
                log(INFO, f'CERT: IP address "{ip}" matched')
                return True
        log(WARNING, "CERT: Subject checks failed")
        return False

    def _candidates(self, cert: x509.Certificate) -> list[x509.Certificate]:
        found = list(self._local_certs.get(cert.subject.public_bytes(), []))
        if self.svc.ca_path:
            digest = crypto.X509.from_cryptography(cert).subject_name_hash()
            for n in range(16):
                path = Path(self.svc.ca_path) / f"{digest & 0xFFFFFFFF:08x}.{n}"
                if not path.exists():
                    break
                found.extend(x509util.load_pem_certificates(path.read_bytes()))
        return [c for c in found if c.subject == cert.subject]

    def _check_local(self, cert: x509.Certificate, log: Callable[[int, str], None]) -> bool:
        candidates = self._candidates(cert)
        if not candidates:
            log(WARNING, "CERT: Certificate not found in local repository")
            return False
        wanted = x509util.public_key_bytes(cert)
        if any(x509util.public_key_bytes(c) == wanted for c in candidates):
            log(INFO, "CERT: Locally installed certificate matched")
            return True
        log(WARNING, "CERT: Public keys do not match")
        return False

    def _ocsp_check(
        self, store_ctx: Any, depth: int, cert: x509.Certificate, log: Callable[[int, str], None]
    ) -> bool:
        if cert.subject == cert.issuer:
            log(DEBUG, "OCSP: Ignoring root certificate")
            return True
        chain = _lib.X509_STORE_CTX_get1_chain(store_ctx)
        issuer: x509.Certificate | None = None
        if chain != _ffi.NULL:
            try:
                n = _lib.sk_X509_num(chain)
                if depth + 1 < n:
                    issuer = _x509_ptr_to_cert(_lib.sk_X509_value(chain, depth + 1))
            finally:
                for i in range(_lib.sk_X509_num(chain)):
                    _lib.X509_free(_lib.sk_X509_value(chain, i))
                _lib.sk_X509_free(chain)
        if issuer is None:
            log(ERR, "OCSP: Cannot find the issuer certificate")
            return False
        # stunnel 5.68: the configured responder must answer GOOD; AIA responders are
        # asked only when the certificate names some, the first definitive answer wins
        if self.svc.ocsp_url:
            log(NOTICE, f'OCSP: Connecting the configured responder "{self.svc.ocsp_url}"')
            if not self._ocsp_ask(store_ctx, cert, issuer, self.svc.ocsp_url, log):
                return False
        if self.svc.ocsp_aia:
            urls = ocsp.aia_urls(cert)
            if urls:
                status = "unknown"
                for url in urls:
                    log(NOTICE, f'OCSP: Connecting the AIA responder "{url}"')
                    outcome = self._ocsp_query(cert, issuer, url, log)
                    status = outcome.status
                    if status != "unknown":
                        break
                if status != "good":
                    self._ocsp_fail(store_ctx, status)
                    return False
        return True

    def _ocsp_query(
        self,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        url: str,
        log: Callable[[int, str], None],
    ) -> ocsp.OcspOutcome:
        outcome = ocsp.check(
            cert, issuer, url, timeout=float(self.svc.timeout_ocsp), nonce=self.svc.ocsp_nonce
        )
        if outcome.status == "good":
            log(INFO, outcome.text)
            log(NOTICE, "OCSP: Certificate accepted")
        elif outcome.status == "revoked":
            log(INFO, outcome.text)
            log(ERR, "OCSP: Certificate revoked")
        else:
            log(ERR, outcome.text)
            log(WARNING, "OCSP: Unknown verification status")
        return outcome

    def _ocsp_ask(
        self,
        store_ctx: Any,
        cert: x509.Certificate,
        issuer: x509.Certificate,
        url: str,
        log: Callable[[int, str], None],
    ) -> bool:
        outcome = self._ocsp_query(cert, issuer, url, log)
        if outcome.status != "good":
            self._ocsp_fail(store_ctx, outcome.status)
            return False
        return True

    @staticmethod
    def _ocsp_fail(store_ctx: Any, status: str) -> None:
        err = (
            _lib.X509_V_ERR_CERT_REVOKED
            if status == "revoked"
            else _lib.X509_V_ERR_APPLICATION_VERIFICATION
        )
        _lib.X509_STORE_CTX_set_error(store_ctx, err)

    # ---------------------------------------------------------- connections

    def new_connection(self, sock: Any, state: TLSConnState) -> SSL.Connection:
        conn = SSL.Connection(self.ctx, sock)
        conn.set_app_data(state)
        if self.svc.client:
            if self.svc.session_resume and self._client_session is not None:
                conn.set_session(self._client_session)
            sni = self.svc.sni
            if sni is None:
                host = self.svc.protocol_host or (
                    self.svc.connect[0].host if self.svc.connect else None
                )
                if host and ":" in host and self.svc.protocol_host:
                    host = host.rpartition(":")[0]
                sni = host
            if sni:
                state.log(INFO, f"SNI: sending servername: {sni}")
                conn.set_tlsext_host_name(sni.encode("idna") if not sni.isascii() else sni.encode())
            conn.set_connect_state()
        else:
            conn.set_accept_state()
        return conn

    def remember_session(self, conn: SSL.Connection) -> None:
        if self.svc.client and self.svc.session_resume:
            session = conn.get_session()
            if session is not None:
                self._client_session = session
