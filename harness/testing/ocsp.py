"""An OCSP responder for the test PKI, answered by the real ``openssl ocsp``.

Theory of operation
-------------------
``openssl ocsp -port N`` (OpenSSL 3.0) binds *all* interfaces (``ACCEPT [::]:N``)
and cannot be told to bind loopback only, which the harness forbids. So the
listening part is a small HTTP server of our own on 127.0.0.1, and each request
is answered by running ``openssl ocsp`` in responder mode on it::

    openssl ocsp -index index.txt -CA intermediate.pem \\
                 -rsigner ocsp-responder.crt -rkey ocsp-responder.key \\
                 -reqin request.der -respout response.der

That keeps every answer OpenSSL's own (status from the ``ca`` database, signature,
nonce handling), binds loopback only, works with port 0, and gives two things the
daemon cannot:

- a log of :class:`OcspExchange` records (which serials were asked about, what
  was answered), so a check can prove that stunnel really asked;
- routing by issuer: a request about a leaf is answered from ``index.txt`` and
  signed by the delegated responder; a request about the intermediate (stunnel
  checks every depth but a self-signed root) is answered from ``root-index.txt``
  and signed by the root itself, so a full-chain OCSP check can succeed.

Readiness: the socket is bound and listening before :meth:`OcspResponder.start`
returns; a connection made after that is queued by the kernel, so there is no
start-up race to poll for. :meth:`OcspResponder.stop` shuts the server down and
joins its thread; each ``openssl`` run has a timeout and is killed if it hangs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import http.server
import logging
import shutil
import subprocess
import tempfile
import threading
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from cryptography import x509
from cryptography.x509 import ocsp

from harness.errors import HarnessError
from harness.pki import TestPKI
from harness.testing import LoopbackService

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 64 * 1024
CONTENT_TYPE = "application/ocsp-response"
# RFC 6960 2.3: OCSPResponses with an error status and no body (an ENUMERATED in a SEQUENCE).
MALFORMED_REQUEST = bytes.fromhex("30030a0101")
INTERNAL_ERROR = bytes.fromhex("30030a0102")


@dataclass(frozen=True)
class OcspExchange:
    """One request answered.

    Attributes:
        method: ``POST`` (stunnel, ``openssl ocsp``) or ``GET`` (RFC 6960 A.1).
        serials: Serial numbers asked about (empty if the request did not parse).
        issuer: Which CA's database answered (``intermediate``, ``root``), or
            ``""`` when the request could not be routed.
        http_status: 200, or 400 for a malformed request, 500 if openssl failed.
        cert_statuses: ``good`` / ``revoked`` / ``unknown`` per single response.
    """

    method: str
    serials: tuple[int, ...]
    issuer: str
    http_status: int
    cert_statuses: tuple[str, ...]


@dataclass(frozen=True)
class _Signer:
    name: str
    ca_cert: Path
    index: Path
    rsigner: Path
    rkey: Path
    rother: Path | None
    issuer_name_der: bytes


class OcspResponder(LoopbackService):
    """Answers OCSP for a :class:`TestPKI` on a loopback port.

    Args:
        pki: The PKI whose ``index.txt`` / ``root-index.txt`` hold the statuses.
        port: Port to bind. ``None`` takes the port of ``pki.ocsp_url`` (so the
            URL baked into the leaves' AIA answers) or, without one, a free port.
        host: Loopback address to bind.
        openssl: The ``openssl`` binary.
        timeout: Seconds one ``openssl ocsp`` run may take.

    Example::

        port = free_port()
        pki = TestPKI.create(tmp, ocsp_url=f"http://127.0.0.1:{port}")
        with OcspResponder(pki) as responder:
            ...  # stunnel with OCSPaia = yes
        assert responder.exchanges[0].cert_statuses == ("good",)
    """

    def __init__(
        self,
        pki: TestPKI,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        openssl: str = "openssl",
        timeout: float = 10.0,
    ) -> None:
        if port is None:
            port = 0
            if pki.ocsp_url:
                parsed = urllib.parse.urlsplit(pki.ocsp_url)
                port = parsed.port or 0
                host = parsed.hostname if parsed.hostname not in (None, "localhost") else host
        binary = shutil.which(openssl)
        if binary is None:
            raise HarnessError(
                f"OCSP responder needs the '{openssl}' binary (apt-get install openssl)"
            )
        self._openssl = binary
        self._timeout = timeout
        self._bind = (host, port)
        inter, root = pki.intermediate, pki.root
        self._signers = (
            _Signer(
                "intermediate",
                inter.cert_path,
                pki.index_path,
                pki.ocsp_responder.cert_path,
                pki.ocsp_responder.key_path,
                inter.cert_path,
                _subject_der(inter.cert_path),
            ),
            # The root answers for what it issued, signing itself: a CA is always an
            # authorised responder for its own certificates (RFC 6960 4.2.2.2).
            _Signer(
                "root",
                root.cert_path,
                pki.root_index_path,
                root.cert_path,
                root.key_path,
                None,
                _subject_der(root.cert_path),
            ),
        )
        self._lock = threading.Lock()
        self._exchanges: list[OcspExchange] = []
        self._counter = 0
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    # ---- lifecycle ---------------------------------------------------------------

    def start(self) -> Self:
        """Bind and serve in a thread. Listening when it returns."""
        if self._server is not None:
            raise RuntimeError("responder already started")
        self._workdir = tempfile.TemporaryDirectory(prefix="fixs-ocsp-")
        responder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if not 0 < length <= MAX_REQUEST_BYTES:
                    self._reply(*responder._malformed("POST"))
                    return
                self._reply(*responder.answer(self.rfile.read(length), method="POST"))

            def do_GET(self) -> None:
                b64 = urllib.parse.unquote(self.path.lstrip("/").rpartition("/")[2])
                try:
                    der = base64.b64decode(b64, validate=True)
                except binascii.Error:
                    self._reply(*responder._malformed("GET"))
                    return
                self._reply(*responder.answer(der, method="GET"))

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                log.debug("OCSP responder: " + format, *args)

        try:
            server = http.server.ThreadingHTTPServer(self._bind, Handler)
        except OSError as exc:
            self._workdir.cleanup()
            self._workdir = None
            raise HarnessError(
                f"OCSP responder cannot bind {self._bind[0]}:{self._bind[1]}: {exc}"
            ) from exc
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="ocsp-responder",
            daemon=True,
        )
        self._thread.start()
        log.info("OCSP responder on %s", self.url)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, close the socket, join the thread, remove the scratch files."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._workdir is not None:
            self._workdir.cleanup()
        self._server = self._thread = self._workdir = None

    @property
    def address(self) -> tuple[str, int]:
        if self._server is None:
            raise RuntimeError("responder not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: what to give stunnel's ``OCSP =`` or a client's ``-url``."""
        host, port = self.address
        return f"http://{host}:{port}"

    @property
    def exchanges(self) -> tuple[OcspExchange, ...]:
        with self._lock:
            return tuple(self._exchanges)

    # ---- answering -----------------------------------------------------------------

    def _malformed(self, method: str) -> tuple[int, bytes]:
        self._log(OcspExchange(method, (), "", 400, ()))
        return 400, MALFORMED_REQUEST

    def answer(self, der: bytes, *, method: str = "POST") -> tuple[int, bytes]:
        """HTTP status and body for one DER OCSP request."""
        try:
            request = ocsp.load_der_ocsp_request(der)
        except ValueError:
            # Several certificates in one request (openssl ocsp with many -cert) do
            # not parse here; openssl itself can still answer from the leaf index.
            request = None
        signer = self._route(request)
        serials = (request.serial_number,) if request is not None else ()
        with self._lock:
            self._counter += 1
            n = self._counter
        assert self._workdir is not None
        work = Path(self._workdir.name)
        req_path, resp_path = work / f"req{n}.der", work / f"resp{n}.der"
        req_path.write_bytes(der)
        cmd = [
            self._openssl,
            "ocsp",
            "-index",
            str(signer.index),
            "-CA",
            str(signer.ca_cert),
            "-rsigner",
            str(signer.rsigner),
            "-rkey",
            str(signer.rkey),
            "-reqin",
            str(req_path),
            "-respout",
            str(resp_path),
        ]
        if signer.rother is not None:
            cmd += ["-rother", str(signer.rother)]
        try:
            subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=self._timeout,
                check=True,
            )
            body = resp_path.read_bytes()
        except (subprocess.SubprocessError, OSError) as exc:
            detail = getattr(exc, "stderr", b"") or b""
            log.warning("openssl ocsp failed: %s %s", exc, detail.decode(errors="replace").strip())
            if request is None:  # neither we nor openssl could read it
                return self._malformed(method)
            self._log(OcspExchange(method, serials, signer.name, 500, ()))
            return 500, INTERNAL_ERROR
        finally:
            req_path.unlink(missing_ok=True)
            resp_path.unlink(missing_ok=True)
        self._log(OcspExchange(method, serials, signer.name, 200, _statuses(body)))
        return 200, body

    def _route(self, request: ocsp.OCSPRequest | None) -> _Signer:
        if request is not None:
            for signer in self._signers:
                digest = hashlib.new(request.hash_algorithm.name, signer.issuer_name_der).digest()
                if digest == request.issuer_name_hash:
                    return signer
        return self._signers[0]

    def _log(self, exchange: OcspExchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)
        log.info(
            "OCSP %s serials=%s issuer=%s -> %d %s",
            exchange.method,
            [f"{s:x}" for s in exchange.serials],
            exchange.issuer or "-",
            exchange.http_status,
            ",".join(exchange.cert_statuses) or "-",
        )


def _subject_der(cert_path: Path) -> bytes:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return cert.subject.public_bytes()


def _statuses(body: bytes) -> tuple[str, ...]:
    try:
        resp = ocsp.load_der_ocsp_response(body)
        if resp.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
            return ()
        return tuple(r.certificate_status.name.lower() for r in resp.responses)
    except ValueError:
        return ()
