"""``TestPKI``: make the whole PKI into a directory, or read one back from its manifest.

:meth:`TestPKI.create` asks :mod:`harness.pki.build` for the key material, writes
every file (secret ones 0600 from the first byte) and records each as a
:class:`FileEntry`; :meth:`TestPKI.load` rebuilds the same object from
``manifest.json``. The manifest is the records' own fields (:func:`to_json`,
:func:`from_json`) in one fixed layout, so writing and reading cannot drift.
It never holds secret content: keys and PSK secrets are only *named*
(``"secret": true``). Paths are relative, so a PKI directory can be copied (into a
container, a chroot jail) and loaded there.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509

from harness.errors import HarnessError
from harness.pki import build, psk
from harness.pki.files import FileWriter, hashed_name, subject_hash
from harness.pki.model import (
    CA,
    INTER,
    OTHER,
    FileEntry,
    KeyType,
    Leaf,
    LeafName,
    PSKFiles,
    Status,
    Usage,
    from_json,
    inside,
    to_json,
)

MANIFEST_NAME = "manifest.json"
FORMAT = "fixs-harness-pki/1"
#: TestPKI path fields and their names under the manifest's ``paths``.
_PATHS = {
    "chain_path": "ca_chain",
    "capath_dir": "capath",
    "crl_path": "crl",
    "crl_dir": "crl_dir",
    "index_path": "index",
    "root_index_path": "root_index",
}


class _LeafAttribute:
    """``pki.server_rsa`` for ``pki.leaf("server-rsa")``: call sites read like the files."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.leaf = LeafName[name.upper()]

    def __get__(self, pki: TestPKI, owner: type | None = None) -> Leaf:
        return pki.leaf(self.leaf)


@dataclass(frozen=True)
class TestPKI:
    """A complete test PKI materialised in one directory.

    A root CA, an intermediate that issues every leaf, and an unrelated CA whose
    certificates anyone trusting our root must reject. Attribute names follow the
    file names: ``pki.server_rsa.pem_path`` is ``DIR/server-rsa.pem``.
    """

    __test__ = False  # a library class, not a pytest test class

    directory: Path
    root: CA
    intermediate: CA
    other_ca: CA
    chain_path: Path
    """``ca-chain.pem``: intermediate then root, for ``CAfile`` with ``verifyChain``."""
    capath_dir: Path
    """``capath/``: root and intermediate under ``<hash>.0`` names, for ``CApath``."""
    crl_path: Path
    """``crl.pem``: the intermediate's CRL (revoked leaves) then the root's (empty)."""
    crl_dir: Path
    """``crl/``: the same CRLs under ``<issuer hash>.r0`` names, for ``CRLpath``."""
    index_path: Path
    """``index.txt``: OpenSSL ``ca`` database of everything the intermediate issued."""
    root_index_path: Path
    """``root-index.txt``: the same for what the root issued (the intermediate)."""
    ocsp_url: str | None
    leaves: Mapping[str, Leaf]
    psk: PSKFiles
    files: tuple[FileEntry, ...]
    created: datetime
    generation_seconds: float = field(default=0.0, compare=False)

    # One attribute per leaf (``pki.server_rsa``), each ``leaf(LeafName.SERVER_RSA)``.
    server_rsa = _LeafAttribute()
    server_ecdsa = _LeafAttribute()
    server_ip2 = _LeafAttribute()
    client_rsa = _LeafAttribute()
    client_ecdsa = _LeafAttribute()
    other_server = _LeafAttribute()
    other_client = _LeafAttribute()
    self_signed_server = _LeafAttribute()
    self_signed_client = _LeafAttribute()
    expired_server = _LeafAttribute()
    expired_client = _LeafAttribute()
    not_yet_valid_server = _LeafAttribute()
    not_yet_valid_client = _LeafAttribute()
    revoked_server = _LeafAttribute()
    revoked_client = _LeafAttribute()
    ocsp_responder = _LeafAttribute()

    def leaf(self, name: str | LeafName) -> Leaf:
        """The leaf called ``name``; raises ``KeyError`` listing the known names."""
        try:
            return self.leaves[name]
        except KeyError:
            known = ", ".join(sorted(self.leaves))
            raise KeyError(f"no leaf {name!r} in this PKI (known: {known})") from None

    @property
    def root_ca_path(self) -> Path:
        """``root.pem``: the trust anchor alone."""
        return self.root.cert_path

    @property
    def psk_path(self) -> Path:
        return self.psk.path

    @property
    def manifest_path(self) -> Path:
        return self.directory / MANIFEST_NAME

    # ---- the manifest -------------------------------------------------------------

    def manifest(self) -> dict[str, Any]:
        """``manifest.json`` as JSON-ready data: every record's fields, paths relative."""
        d = self.directory
        top = to_json(self, d)
        return {
            "format": FORMAT,
            **{key: top[key] for key in ("created", "generation_seconds", "ocsp_url")},
            "cas": {
                ca.name: to_json(ca, d) for ca in (self.root, self.intermediate, self.other_ca)
            },
            "leaves": {name: to_json(leaf, d) for name, leaf in self.leaves.items()},
            "paths": {key: top[attr] for attr, key in _PATHS.items()},
            "psk": to_json(self.psk, d),
            "files": [to_json(f, d) for f in self.files],
        }

    @classmethod
    def load(cls, directory: Path) -> TestPKI:
        """Read a PKI made earlier (by :meth:`create` or ``fixs-harness pki init``).

        Raises:
            HarnessError: no manifest, a malformed one, or a listed file is missing.
        """
        directory = Path(directory)
        path = directory / MANIFEST_NAME
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise HarnessError(
                f"{path}: no PKI manifest (make one with 'fixs-harness pki init')"
            ) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HarnessError(f"{path}: unreadable PKI manifest: {exc}") from None
        if not isinstance(m, dict) or m.get("format") != FORMAT:
            raise HarnessError(f"{path}: invalid PKI manifest: format is not {FORMAT!r}")
        try:
            files = tuple(from_json(FileEntry, f, directory, f"{path}: files") for f in m["files"])
            missing = [f.path for f in files if not inside(directory, f.path, str(path)).exists()]
            if missing:
                raise HarnessError(f"{path}: listed files are missing: {', '.join(missing[:5])}")
            cas = {
                n: from_json(CA, c, directory, f"{path}: cas.{n}", name=n)
                for n, c in m["cas"].items()
            }
            leaves = {
                n: from_json(Leaf, leaf, directory, f"{path}: leaves.{n}", name=n)
                for n, leaf in m["leaves"].items()
            }
            paths = {attr: m["paths"][key] for attr, key in _PATHS.items()}
            return from_json(
                cls,
                {
                    **paths,
                    "created": m["created"],
                    "ocsp_url": m["ocsp_url"],
                    "generation_seconds": m["generation_seconds"],
                },
                directory,
                str(path),
                directory=directory,
                root=cas["root"],
                intermediate=cas["intermediate"],
                other_ca=cas["other-ca"],
                leaves=leaves,
                psk=from_json(PSKFiles, m["psk"], directory, f"{path}: psk"),
                files=files,
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise HarnessError(
                f"{path}: invalid PKI manifest: missing or malformed {exc}"
            ) from None

    # ---- making one ---------------------------------------------------------------

    @classmethod
    def create(
        cls, directory: Path, *, ocsp_url: str | None = None, force: bool = False
    ) -> TestPKI:
        """Generate a fresh PKI into ``directory`` and write its ``manifest.json``.

        Args:
            directory: Where to write; created if missing.
            ocsp_url: If given (``http://127.0.0.1:PORT``), every leaf the
                intermediate issues carries it as its AIA OCSP responder, for
                stunnel's ``OCSPaia = yes``. Loopback HTTP URLs only.
            force: Write into a non-empty directory, replacing this PKI's files.

        Raises:
            HarnessError: the directory is not empty (without ``force``), or the
                OCSP URL is not a loopback ``http://`` URL.
        """
        started = time.perf_counter()
        directory = Path(directory)
        if ocsp_url is not None:
            build.validate_ocsp_url(ocsp_url)
        build.prepare_directory(directory, force=force)
        now = datetime.now(UTC).replace(microsecond=0)
        out = FileWriter(directory)

        # CAs. The root may sign one level of CA below it; the intermediate only leaves.
        rsa, ecdsa = KeyType.RSA, KeyType.ECDSA
        root_t, root = build.trustme_ca("root", "Root CA", rsa, parent=None, path_length=1)
        _, inter = build.trustme_ca(INTER, "Intermediate CA", rsa, parent=root_t, path_length=0)
        _, other = build.trustme_ca(OTHER, "Unrelated CA", ecdsa, parent=None, path_length=0)
        cas = {
            ca.name: CA(
                name=ca.name,
                cert_path=out.write(f"{ca.name}.pem", build.cert_pem(ca.cert)),
                key_path=out.write(f"{ca.name}.key", build.key_pem(ca.key)),
                subject=ca.cert.subject.rfc4514_string(),
                subject_hash=subject_hash(ca.cert),
                key_type=build.key_type_of(ca.key),
            )
            for ca in (root, inter, other)
        }
        chain_path = out.write(
            "ca-chain.pem", build.cert_pem(inter.cert) + build.cert_pem(root.cert)
        )
        taken: set[str] = set()
        for ca in (root, inter):
            name = hashed_name(cas[ca.name].subject_hash, crl=False, taken=taken)
            out.write(f"capath/{name}", build.cert_pem(ca.cert), ca.name)

        # Leaves.
        keys = {spec.key_group: build.new_key(spec.key_type) for spec in LeafName}
        issuers = {INTER: inter, OTHER: other}
        certs: dict[LeafName, x509.Certificate] = {}
        leaves: dict[str, Leaf] = {}
        for spec in LeafName:
            key, issuer = keys[spec.key_group], issuers.get(spec.issuer)
            cert = certs[spec] = build.issue_leaf(spec, key, issuer, now=now, ocsp_url=ocsp_url)
            chain = build.cert_pem(cert) + (build.cert_pem(inter.cert) if issuer is inter else b"")
            what = spec.description
            has_aia = bool(ocsp_url) and spec.issuer == INTER and spec.usage is not Usage.OCSP
            leaves[spec.value] = Leaf(
                name=spec.value,
                cert_path=out.write(f"{spec}.crt", chain, what),
                key_path=out.write(f"{spec}.key", build.key_pem(key), what),
                pem_path=out.write(f"{spec}.pem", chain + build.key_pem(key), what),
                pin_path=out.write(f"{spec}.pin.pem", build.cert_pem(cert), what),
                usage=spec.usage,
                key_type=spec.key_type,
                key_group=spec.key_group,
                issuer=spec.issuer,
                status=spec.status,
                subject=cert.subject.rfc4514_string(),
                serial=cert.serial_number,
                not_before=cert.not_valid_before_utc,
                not_after=cert.not_valid_after_utc,
                dns_names=spec.dns_names,
                ip_addresses=spec.ip_addresses,
                ocsp_url=ocsp_url if has_aia else None,
            )

        # Revocation: CRLs and the OpenSSL ca databases for openssl ocsp.
        revoked = [certs[s] for s in LeafName if s.status is Status.REVOKED]
        inter_crl = build.crl_pem(inter, revoked, now=now)
        root_crl = build.crl_pem(root, [], now=now)
        crl_path = out.write("crl.pem", inter_crl + root_crl)
        taken_crl: set[str] = set()
        for ca, pem in ((inter, inter_crl), (root, root_crl)):
            name = hashed_name(cas[ca.name].subject_hash, crl=True, taken=taken_crl)
            out.write(f"crl/{name}", pem, ca.name)
        revoked_at = now - timedelta(hours=1)
        index = "".join(
            build.index_line(
                certs[s], revoked_at=revoked_at if s.status is Status.REVOKED else None
            )
            for s in LeafName
            if s.issuer == INTER
        )
        attr = b"unique_subject = no\n"
        index_path = out.write("index.txt", index.encode())
        out.write("index.txt.attr", attr)
        root_index_path = out.write("root-index.txt", build.index_line(inter.cert).encode())
        out.write("root-index.txt.attr", attr)

        # PSK secrets.
        ids, unknown = psk.DEFAULT_IDENTITIES, psk.UNKNOWN_IDENTITY
        psk_files = PSKFiles(
            path=out.write("psk.txt", psk.render(ids)),
            wrong_key_path=out.write("psk-wrong-key.txt", psk.render(ids)),
            unknown_identity_path=out.write("psk-unknown-identity.txt", psk.render((unknown,))),
            identities=ids,
            unknown_identity=unknown,
        )

        pki = cls(
            directory=directory,
            root=cas["root"],
            intermediate=cas[INTER],
            other_ca=cas[OTHER],
            chain_path=chain_path,
            capath_dir=directory / "capath",
            crl_path=crl_path,
            crl_dir=directory / "crl",
            index_path=index_path,
            root_index_path=root_index_path,
            ocsp_url=ocsp_url,
            leaves=leaves,
            psk=psk_files,
            files=tuple(out.entries),
            created=now,
            generation_seconds=round(time.perf_counter() - started, 3),
        )
        out.write(MANIFEST_NAME, (json.dumps(pki.manifest(), indent=2) + "\n").encode())
        return pki
