"""Loading profiles: the YAML edge (pydantic, ``extra="forbid"``) → frozen Profile.

Built-in profiles are the ``*.yaml`` files beside this module; a user passes a path
to their own file with the same schema (:func:`load_profile`, in
:mod:`harness.profiles.builtin`, which reads the built-ins without pydantic). Every problem is a ``LocatedError`` naming
the file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema

from harness.errors import LocatedError
from harness.located_yaml import Locator, load_located_yaml, located_validation_error

# the finding of profiles by name or path lives in harness.profiles.builtin (no
# pydantic there: built-in profiles load without it); re-exported for callers of
# this module
from harness.profiles.builtin import _builtin_dir as _builtin_dir
from harness.profiles.builtin import list_profiles as list_profiles
from harness.profiles.builtin import load_profile as load_profile
from harness.profiles.model import (
    DefiningCheck,
    Erratum,
    KeySizes,
    Profile,
    SocketRule,
    Suite,
    UseCase,
)
from harness.tls.codes import CODE_PATTERN, format_code, is_tls13_code, parse_code
from harness.tls.versions import TLS_VERSIONS, normalise_version

#: How a cipher code looks in YAML. fixs-harness reads an unquoted 0xC030 as text
#: (generic YAML tools read it as an integer, hence both types in the schema).
CODE_JSON_SCHEMA: dict[str, Any] = {
    "type": ["string", "integer"],
    "pattern": CODE_PATTERN,
    "description": "IANA cipher-suite code in hex: 0xC030, C030 or 0xC0,0x30",
}
VERSION_JSON_SCHEMA: dict[str, Any] = {
    "type": "string",
    "enum": list(TLS_VERSIONS),
    "description": "protocol version, stunnel spelling",
}
Code = Annotated[int, BeforeValidator(parse_code), WithJsonSchema(CODE_JSON_SCHEMA)]
Version = Annotated[str, BeforeValidator(normalise_version), WithJsonSchema(VERSION_JSON_SCHEMA)]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SuiteDoc(_Doc):
    code: Code = Field(description="IANA code, hex: 0xC030 or 0xC0,0x30")
    iana: str = Field(pattern=r"^TLS_[A-Z0-9_]+$", description="IANA registry name")
    openssl: str = Field(min_length=1, description="OpenSSL name (what stunnel's ciphers= takes)")
    authentication: Literal["certificate", "psk", "any"] = Field(
        description="how the suite authenticates; TLS 1.3 suites say any"
    )
    forward_secret: bool
    erratum: str | None = Field(default=None, description="id of an erratum that concerns it")
    note: str | None = None


class ErratumDoc(_Doc):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    text: str
    codes: list[Code] = Field(min_length=1)


class KeySizesDoc(_Doc):
    rsa: int = Field(ge=512)
    ecdsa: int = Field(ge=160)
    dhe: int = Field(ge=512)


class DefiningCheckDoc(_Doc):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="a certify check id")
    needs: str = Field("", description="the flag(s) that let certify run this check")
    layer: Literal["tls", "fix"] = Field(
        "tls", description="fix: made by a FIX Logon (left out by certify --scope tls)"
    )


class UseCaseDoc(_Doc):
    title: str
    section: str
    server_auth: str
    client_auth: str
    client_certificate_required: bool
    defining_checks: list[DefiningCheckDoc] = Field(
        default_factory=list,
        description="checks that must all run and pass for certify to call the case compliant",
    )


class SocketRuleDoc(_Doc):
    """A socket option judged on the live data sockets (``socket.nodelay.*``)."""

    option: Literal["TCP_NODELAY"] = Field(description="the socket option read off live sockets")
    value: Literal[0, 1] = Field(description="the value the live sockets must carry")
    sockets: list[Literal["l", "r"]] = Field(
        min_length=1, description="l: accepted local sockets, r: outgoing remote sockets"
    )
    rule: Literal["requirement", "recommendation"] = Field(
        description="what the source makes of it: a requirement or a recommendation"
    )
    when_not_met: Literal["fail", "warn"] = Field(
        default="fail",
        description="fail the check, or (a recommendation only) show a warning that does not fail the run",
    )
    section: str | None = Field(default=None, description="the source's section")
    text: str = ""


class ProfileDoc(_Doc):
    """The profile file format (docs/profiles.md; schema docs/schemas/profile.schema.json)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: str
    source: str = Field(description="citation: document, revision, sections")
    tls_versions: list[Version] = Field(min_length=1)
    suites: list[SuiteDoc] = Field(min_length=1)
    required_suites: list[Code] = Field(default_factory=list)
    min_key_bits: KeySizesDoc
    psk_min_key_bytes: int = Field(ge=1)
    use_cases: dict[str, UseCaseDoc] = Field(default_factory=dict)
    errata: list[ErratumDoc] = Field(default_factory=list)
    notes: str = ""
    socket_rules: list[SocketRuleDoc] = Field(
        default_factory=list,
        description="socket options judged on the live data sockets, whatever the config says",
    )
    expiry_horizon_days: int = Field(
        default=30,
        ge=0,
        description="cert.expiry-horizon: fail a certificate expiring within N days",
    )


def _cross_check(doc: ProfileDoc, loc: Locator) -> None:
    """Rules pydantic cannot see: uniqueness and references between sections."""
    seen: dict[int, int] = {}
    for i, s in enumerate(doc.suites):
        if s.code in seen:
            raise LocatedError(
                loc.location(("suites", i, "code")),
                f"suite {format_code(s.code)} listed twice (also suites[{seen[s.code]}])",
            )
        seen[s.code] = i
        if is_tls13_code(s.code) and "TLSv1.3" not in doc.tls_versions:
            raise LocatedError(
                loc.location(("suites", i, "code")),
                f"{format_code(s.code)} is a TLS 1.3 suite but tls_versions lacks TLSv1.3",
            )
        if s.erratum is not None and s.erratum not in {e.id for e in doc.errata}:
            raise LocatedError(
                loc.location(("suites", i, "erratum")), f"no erratum with id {s.erratum!r}"
            )
    options: set[str] = set()
    for i, r in enumerate(doc.socket_rules):
        if r.option in options:
            raise LocatedError(
                loc.location(("socket_rules", i, "option")), f"socket rule {r.option} listed twice"
            )
        options.add(r.option)
        if r.rule == "requirement" and r.when_not_met == "warn":
            raise LocatedError(
                loc.location(("socket_rules", i, "when_not_met")),
                "a requirement cannot be kept a warning: only a recommendation can",
            )
    for i, code in enumerate(doc.required_suites):
        if code not in seen:
            raise LocatedError(
                loc.location(("required_suites", i)),
                f"required suite {format_code(code)} is not among the profile's suites",
            )


def profile_from_file(path: Path) -> Profile:
    """Load and validate one profile file."""
    loc = load_located_yaml(path)
    if not isinstance(loc.data, dict):
        raise LocatedError(loc.location(), "a profile must be a YAML mapping")
    try:
        doc = ProfileDoc.model_validate(loc.data)
    except ValidationError as exc:
        raise located_validation_error(exc, loc, "profile") from None
    _cross_check(doc, loc)
    return _to_profile(doc, loc)


def _to_profile(doc: ProfileDoc, loc: Locator) -> Profile:
    return Profile(
        name=doc.name,
        title=doc.title,
        source=doc.source,
        tls_versions=tuple(doc.tls_versions),
        suites=tuple(
            Suite(
                code=s.code,
                iana=s.iana,
                openssl=s.openssl,
                authentication=s.authentication,
                forward_secret=s.forward_secret,
                erratum=s.erratum,
                note=s.note,
            )
            for s in doc.suites
        ),
        required_suites=tuple(doc.required_suites),
        min_key_bits=KeySizes(doc.min_key_bits.rsa, doc.min_key_bits.ecdsa, doc.min_key_bits.dhe),
        psk_min_key_bytes=doc.psk_min_key_bytes,
        use_cases=tuple(
            UseCase(
                id=key,
                title=u.title,
                section=u.section,
                server_auth=u.server_auth,
                client_auth=u.client_auth,
                client_certificate_required=u.client_certificate_required,
                defining_checks=tuple(
                    DefiningCheck(d.id, d.needs, d.layer) for d in u.defining_checks
                ),
            )
            for key, u in doc.use_cases.items()
        ),
        errata=tuple(Erratum(e.id, e.title, e.text.strip(), tuple(e.codes)) for e in doc.errata),
        notes=doc.notes.strip(),
        location=loc.location(),
        socket_rules=tuple(
            SocketRule(
                option=r.option,
                value=r.value,
                sockets=tuple(dict.fromkeys(r.sockets)),
                rule=r.rule,
                when_not_met=r.when_not_met,
                section=r.section,
                text=r.text.strip(),
            )
            for r in doc.socket_rules
        ),
        expiry_horizon_days=doc.expiry_horizon_days,
    )


def profile_json_schema() -> dict[str, Any]:
    """JSON Schema of the profile file format (checked in as docs/schemas/profile.schema.json)."""
    schema = ProfileDoc.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://fixs-harness.invalid/schemas/profile.schema.json"
    return schema
