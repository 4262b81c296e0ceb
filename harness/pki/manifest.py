"""``manifest.json``: the JSON edge of the PKI (pydantic here, frozen records inside).

The manifest names every file and says what it is, so a scenario can refer to
``server-rsa`` instead of a path and ``TestPKI.load`` can rebuild the records
without parsing certificates. It never holds secret content: keys and PSK
secrets are only *named* (``"secret": true``). Paths are relative, so a PKI
directory can be copied (into a container, a chroot jail) and loaded there.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import HarnessError
from harness.pki.model import (
    CAFiles,
    FileEntry,
    KeyType,
    LeafFiles,
    PSKFiles,
    Status,
    TestPKI,
    Usage,
)

MANIFEST_NAME = "manifest.json"
FORMAT: Literal["fixs-harness-pki/1"] = "fixs-harness-pki/1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CAModel(_Model):
    cert: str
    key: str
    subject: str
    subject_hash: str
    key_type: KeyType


class LeafModel(_Model):
    cert: str
    key: str
    pem: str
    pin: str
    usage: Usage
    key_type: KeyType
    key_group: str
    issuer: str
    status: Status
    subject: str
    serial: str  # hex: JSON numbers cannot hold 159-bit serials portably
    not_before: datetime
    not_after: datetime
    dns_names: tuple[str, ...]
    ip_addresses: tuple[str, ...]
    ocsp_url: str | None


class PSKModel(_Model):
    file: str
    wrong_key_file: str
    unknown_identity_file: str
    identities: tuple[str, ...]
    unknown_identity: str


class FileModel(_Model):
    path: str
    kind: str
    description: str
    secret: bool


class PathsModel(_Model):
    ca_chain: str
    capath: str
    crl: str
    crl_dir: str
    index: str
    root_index: str


class Manifest(_Model):
    format: Literal["fixs-harness-pki/1"]
    created: datetime
    generation_seconds: float
    ocsp_url: str | None
    cas: dict[str, CAModel]
    leaves: dict[str, LeafModel]
    paths: PathsModel
    psk: PSKModel
    files: list[FileModel]


def manifest_json(pki: TestPKI) -> dict[str, Any]:
    """The manifest of ``pki`` as JSON-ready data (validated through the model)."""

    def rel(p: Path) -> str:
        return p.relative_to(pki.directory).as_posix()

    def ca(c: CAFiles) -> CAModel:
        return CAModel(
            cert=rel(c.cert_path),
            key=rel(c.key_path),
            subject=c.subject,
            subject_hash=c.subject_hash,
            key_type=c.key_type,
        )

    model = Manifest(
        format=FORMAT,
        created=pki.created,
        generation_seconds=pki.generation_seconds,
        ocsp_url=pki.ocsp_url,
        cas={c.name: ca(c) for c in (pki.root, pki.intermediate, pki.other_ca)},
        leaves={
            leaf.name: LeafModel(
                cert=rel(leaf.cert_path),
                key=rel(leaf.key_path),
                pem=rel(leaf.pem_path),
                pin=rel(leaf.pin_path),
                usage=leaf.usage,
                key_type=leaf.key_type,
                key_group=leaf.key_group,
                issuer=leaf.issuer,
                status=leaf.status,
                subject=leaf.subject,
                serial=f"{leaf.serial:x}",
                not_before=leaf.not_before,
                not_after=leaf.not_after,
                dns_names=leaf.dns_names,
                ip_addresses=leaf.ip_addresses,
                ocsp_url=leaf.ocsp_url,
            )
            for leaf in pki.leaves.values()
        },
        paths=PathsModel(
            ca_chain=rel(pki.chain_path),
            capath=rel(pki.capath_dir),
            crl=rel(pki.crl_path),
            crl_dir=rel(pki.crl_dir),
            index=rel(pki.index_path),
            root_index=rel(pki.root_index_path),
        ),
        psk=PSKModel(
            file=rel(pki.psk.path),
            wrong_key_file=rel(pki.psk.wrong_key_path),
            unknown_identity_file=rel(pki.psk.unknown_identity_path),
            identities=pki.psk.identities,
            unknown_identity=pki.psk.unknown_identity,
        ),
        files=[
            FileModel(path=f.path, kind=f.kind, description=f.description, secret=f.secret)
            for f in pki.files
        ],
    )
    return model.model_dump(mode="json")


def load_manifest(directory: Path) -> TestPKI:
    """Rebuild a :class:`TestPKI` from ``directory/manifest.json``."""
    path = directory / MANIFEST_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HarnessError(
            f"{path}: no PKI manifest (make one with 'fixs-harness pki init')"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HarnessError(f"{path}: unreadable PKI manifest: {exc}") from None
    try:
        m = Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise HarnessError(f"{path}: invalid PKI manifest at {where}: {first['msg']}") from None

    def at(relative: str) -> Path:
        p = directory / relative
        # A manifest is data from disk: refuse paths that climb out of the directory.
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            raise HarnessError(f"{path}: path {relative!r} leaves the PKI directory")
        return p

    missing = [f.path for f in m.files if not at(f.path).exists()]
    if missing:
        raise HarnessError(f"{path}: listed files are missing: {', '.join(missing[:5])}")

    cas = {
        name: CAFiles(
            name=name,
            cert_path=at(c.cert),
            key_path=at(c.key),
            subject=c.subject,
            subject_hash=c.subject_hash,
            key_type=c.key_type,
        )
        for name, c in m.cas.items()
    }
    for needed in ("root", "intermediate", "other-ca"):
        if needed not in cas:
            raise HarnessError(f"{path}: manifest lacks the {needed} CA")
    leaves = {
        name: LeafFiles(
            name=name,
            cert_path=at(leaf.cert),
            key_path=at(leaf.key),
            pem_path=at(leaf.pem),
            pin_path=at(leaf.pin),
            usage=leaf.usage,
            key_type=leaf.key_type,
            key_group=leaf.key_group,
            issuer=leaf.issuer,
            status=leaf.status,
            subject=leaf.subject,
            serial=int(leaf.serial, 16),
            not_before=leaf.not_before,
            not_after=leaf.not_after,
            dns_names=leaf.dns_names,
            ip_addresses=leaf.ip_addresses,
            ocsp_url=leaf.ocsp_url,
        )
        for name, leaf in m.leaves.items()
    }
    return TestPKI(
        directory=directory,
        root=cas["root"],
        intermediate=cas["intermediate"],
        other_ca=cas["other-ca"],
        chain_path=at(m.paths.ca_chain),
        capath_dir=at(m.paths.capath),
        crl_path=at(m.paths.crl),
        crl_dir=at(m.paths.crl_dir),
        index_path=at(m.paths.index),
        root_index_path=at(m.paths.root_index),
        ocsp_url=m.ocsp_url,
        leaves=leaves,
        psk=PSKFiles(
            path=at(m.psk.file),
            wrong_key_path=at(m.psk.wrong_key_file),
            unknown_identity_path=at(m.psk.unknown_identity_file),
            identities=m.psk.identities,
            unknown_identity=m.psk.unknown_identity,
        ),
        files=tuple(
            FileEntry(path=f.path, kind=f.kind, description=f.description, secret=f.secret)
            for f in m.files
        ),
        manifest_path=path,
        created=m.created,
        generation_seconds=m.generation_seconds,
    )
