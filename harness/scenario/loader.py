"""Loading scenario files: YAML (with lines) → pydantic edge models → frozen Scenario.

The pydantic models here are the file format (``extra="forbid"``; their JSON Schema
is checked in as docs/schemas/scenario.schema.json). Nothing outside this module
sees them: :func:`load_scenario` returns the frozen dataclasses of
:mod:`harness.scenario.model`. Every error is a :class:`LocatedError` naming the
file and the line of the offending key.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from harness.checks.ids import check_ids
from harness.errors import HarnessError, LocatedError, SourceLocation
from harness.located_yaml import (
    DataPath,
    Locator,
    load_located_yaml,
    located_validation_error,
)
from harness.profiles.loader import CODE_JSON_SCHEMA, Code, Version
from harness.scenario.model import (
    Alert,
    AuthExpectation,
    CipherExpectation,
    Credentials,
    EmbeddedConf,
    EmbeddedText,
    Expectations,
    FixExpectation,
    FixSession,
    Matrix,
    Override,
    Proxy,
    Scenario,
    SelfTest,
    TlsExpectation,
)
from harness.scenario.placeholders import find_placeholders
from harness.tls.alerts import ALERTS, alert_code
from harness.tls.codes import parse_code

ANY_IN_PROFILE = "any-in-profile"


def _cipher_spec(value: object) -> object:
    if value == ANY_IN_PROFILE:
        return value
    if isinstance(value, list):
        if not value:
            raise ValueError("an empty list of cipher codes expects nothing; omit the key")
        return tuple(parse_code(v) for v in value)
    if isinstance(value, str) and value.strip().lower().replace("_", "-") in (
        "any",
        "profile",
        "any-in-profile",
    ):
        raise ValueError(f"write {ANY_IN_PROFILE!r} for any suite of the profile")
    return (parse_code(value),)


def _alerts(value: object) -> object:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("give at least one alert")
    return tuple(alert_code(v) for v in items)


def _section(value: object) -> object:
    # guide_section: 3.2 unquoted is a float in YAML; accept it, it reads the same.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


CipherSpec = Annotated[
    tuple[int, ...] | Literal["any-in-profile"],
    BeforeValidator(_cipher_spec),
    WithJsonSchema(
        {
            "description": "exact code, list of acceptable codes, or any-in-profile",
            "anyOf": [
                {"const": ANY_IN_PROFILE},
                CODE_JSON_SCHEMA,
                {"type": "array", "items": CODE_JSON_SCHEMA, "minItems": 1},
            ],
        }
    ),
]
_ALERT_ITEM = {
    "anyOf": [
        {"type": "string", "enum": sorted(ALERTS.values())},
        {"type": "integer", "enum": sorted(ALERTS)},
    ]
}
AlertSpec = Annotated[
    tuple[int, ...] | None,
    BeforeValidator(_alerts),
    WithJsonSchema(
        {
            "description": "TLS alert name or code, or a list of acceptable ones",
            "anyOf": [_ALERT_ITEM, {"type": "array", "items": _ALERT_ITEM, "minItems": 1}],
        }
    ),
]
Section = Annotated[str, BeforeValidator(_section)]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TunnelDoc(_Doc):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"oneOf": [{"required": ["stunnel"]}, {"required": ["stunnel_file"]}]},
    )

    stunnel: str | None = Field(
        default=None,
        min_length=1,
        description="stunnel.conf text, verbatim (use a | block); placeholders {pki.NAME}...; "
        "relative paths in it resolve against the scenario file's directory",
    )
    stunnel_file: str | None = Field(
        default=None,
        min_length=1,
        description="a stunnel.conf on disk (relative to the scenario file); relative paths "
        "in it resolve against its own directory",
    )
    section: str | None = Field(
        default=None,
        min_length=1,
        description="the [service] section to run, when the text or file holds several",
    )

    @model_validator(mode="after")
    def _one_source(self) -> TunnelDoc:
        if (self.stunnel is None) == (self.stunnel_file is None):
            raise ValueError("give either stunnel (the text) or stunnel_file (a path), not both")
        return self


class TunnelsDoc(_Doc):
    server: TunnelDoc
    client: TunnelDoc


class CredentialsDoc(_Doc):
    username: str | None = Field(default=None, description="Username(553)")
    password: str | None = Field(default=None, description="Password(554); redacted in reports")
    raw_data: str | None = Field(default=None, description="RawData(95); redacted in reports")

    @model_validator(mode="after")
    def _not_empty(self) -> CredentialsDoc:
        if self.username is None and self.password is None and self.raw_data is None:
            raise ValueError("credentials need username/password or raw_data")
        return self


class AcceptorDoc(_Doc):
    credentials: CredentialsDoc | None = Field(
        default=None, description="what the acceptor accepts; omitted: no FIX-level check"
    )


class FixDoc(_Doc):
    version: Literal["FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1"] = "FIX.4.4"
    sender_comp_id: str = Field(min_length=1, description="the initiator's SenderCompID(49)")
    target_comp_id: str = Field(min_length=1, description="the initiator's TargetCompID(56)")
    heartbeat_s: int = Field(default=30, ge=1, le=3600, description="HeartBtInt(108)")
    credentials: CredentialsDoc | None = Field(
        default=None, description="what the initiator sends in its Logon"
    )
    acceptor: AcceptorDoc | None = None
    script: str | None = Field(default=None, description="conversation script (FIX engine format)")


class ProxyDoc(_Doc):
    username: str | None = None
    password: str | None = None


class TlsExpectDoc(_Doc):
    version: Version | None = None
    cipher: CipherSpec | None = None


AuthOutcomeName = Literal[
    "mutual-certificate", "psk", "server-certificate+fix-credentials", "handshake-refused"
]


class AuthDoc(_Doc):
    outcome: AuthOutcomeName
    alert: AlertSpec = None
    refused_by: Literal["client", "server"] | None = None

    @model_validator(mode="after")
    def _refusal_fields(self) -> AuthDoc:
        if self.outcome == "handshake-refused":
            if self.alert is None or self.refused_by is None:
                raise ValueError("handshake-refused needs both alert and refused_by")
        elif self.alert is not None or self.refused_by is not None:
            raise ValueError("alert and refused_by belong to outcome handshake-refused only")
        return self


def _auth_shorthand(value: object) -> object:
    # ``auth: psk`` is short for ``auth: {outcome: psk}``.
    return {"outcome": value} if isinstance(value, str) else value


class FixExpectDoc(_Doc):
    logon: Literal["accepted", "rejected"]
    text: str | None = Field(default=None, description="substring of the Logout Text(58)")


class ExpectDoc(_Doc):
    tls: TlsExpectDoc | None = None
    # The Literal branch documents the shorthand in the JSON Schema; at run time the
    # before-validator has already turned ``auth: psk`` into ``{outcome: psk}``.
    auth: (
        Annotated[
            AuthDoc | Literal["mutual-certificate", "psk", "server-certificate+fix-credentials"],
            BeforeValidator(_auth_shorthand),
        ]
        | None
    ) = None
    fix: FixExpectDoc | None = None
    messages: int | None = Field(
        default=None, ge=0, le=10_000, description="orders sent = execution reports received"
    )

    @model_validator(mode="after")
    def _consistent(self) -> ExpectDoc:
        if isinstance(self.auth, AuthDoc) and self.auth.outcome == "handshake-refused":
            if self.fix is not None or self.messages:
                raise ValueError("a refused handshake cannot also expect a FIX logon or messages")
            if self.tls is not None and self.tls.cipher is not None:
                raise ValueError("a refused handshake negotiates no cipher; drop expect.tls.cipher")
        return self


class OverrideDoc(_Doc):
    backend_pair: str = Field(
        pattern=r"^[A-Za-z0-9*?_./\[\]-]+:[A-Za-z0-9*?_./\[\]-]+$",
        description="client:server glob, e.g. stunnel-*:python",
    )
    reason: str = Field(min_length=1, description="why this pair differs (shown in reports)")
    expect: ExpectDoc


class MatrixDoc(_Doc):
    cipher: Literal["profile"] | list[Code] = Field(
        description="profile: every profile suite usable with the scenario; or a list of codes"
    )

    @field_validator("cipher")
    @classmethod
    def _unique(cls, value: object) -> object:
        if isinstance(value, list) and len(set(value)) != len(value):
            raise ValueError("a cipher is listed twice")
        return value


def _known_check(value: str) -> str:
    known = check_ids()
    if value not in known:
        family = value.split(".", 1)[0] + "."
        near = sorted(i for i in known if i.startswith(family))
        hint = f"; ids of that family: {', '.join(near)}" if near else ""
        raise ValueError(f"unknown check id {value!r}{hint}")
    return value


CheckId = Annotated[
    str,
    AfterValidator(_known_check),
    # the enum is read when the schema is generated (the catalogue imports this layer)
    Field(json_schema_extra=lambda schema: schema.update(enum=sorted(check_ids()))),
]


class SelftestDoc(_Doc):
    must_fail: list[CheckId] = Field(
        min_length=1,
        description="check ids that must fail; the item passes only when exactly these fail",
    )
    misreport_log: Literal["client", "server"] | None = Field(
        default=None,
        description=(
            "self-test knob: the harness replaces the cipher this tunnel's log reports "
            "before the checks read it (to show log.matches-wire failing)"
        ),
    )

    @field_validator("must_fail")
    @classmethod
    def _unique_ids(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a check id is listed twice")
        return value


class ScenarioDoc(_Doc):
    """The scenario file format (see docs/scenarios.md)."""

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: str = Field(min_length=1)
    guide_section: Section | None = Field(default=None, description='e.g. "3.2"; quote it')
    description: str = ""
    profile: str = Field(default="stunnel-guide-2017", description="built-in name or path")
    tags: list[str] = Field(default_factory=list)
    tunnels: TunnelsDoc
    fix: FixDoc
    proxy: ProxyDoc | None = Field(default=None, description="run an HTTP CONNECT proxy")
    expect: ExpectDoc
    overrides: list[OverrideDoc] = Field(default_factory=list)
    matrix: MatrixDoc | None = None
    selftest: SelftestDoc | None = Field(
        default=None,
        description="a self-test: expectations contradict the config on purpose",
    )


# --- conversion to the frozen model ------------------------------------------------


def _creds(doc: CredentialsDoc | None) -> Credentials | None:
    if doc is None:
        return None
    return Credentials(doc.username, doc.password, doc.raw_data)


def _expectations(doc: ExpectDoc, loc: Locator, base: DataPath) -> Expectations:
    tls = None
    if doc.tls is not None:
        cipher = None
        spec = doc.tls.cipher
        if spec == ANY_IN_PROFILE:
            cipher = CipherExpectation(any_in_profile=True)
        elif isinstance(spec, tuple):
            cipher = CipherExpectation(codes=spec)
        tls = TlsExpectation(doc.tls.version, cipher, loc.location((*base, "tls")))
    auth = None
    if isinstance(doc.auth, AuthDoc):
        alerts = tuple(Alert(c, ALERTS[c]) for c in doc.auth.alert or ())
        auth = AuthExpectation(
            doc.auth.outcome, alerts, doc.auth.refused_by, loc.location((*base, "auth"))
        )
    fix = None
    if doc.fix is not None:
        fix = FixExpectation(doc.fix.logon, doc.fix.text, loc.location((*base, "fix")))
    return Expectations(
        tls=tls,
        auth=auth,
        fix=fix,
        messages=doc.messages,
        messages_location=loc.location((*base, "messages")) if doc.messages is not None else None,
    )


def _text(loc: Locator, path: DataPath) -> SourceLocation:
    return SourceLocation(loc.path, loc.text_line(path))


def read_conf_file(path: Path, where: SourceLocation, section: str | None = None) -> EmbeddedConf:
    """A stunnel.conf on disk as an EmbeddedConf: errors inside it name its own file
    and line; relative paths in it resolve against its directory.

    Raises:
        LocatedError: at ``where`` when the file cannot be read; at the file's line
            when it is not UTF-8 text.
    """
    from harness.stunnelconf.parser import decode_config

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise LocatedError(where, f"cannot read stunnel file {path}: {exc.strerror}") from None
    text = decode_config(data, path=str(path))
    return EmbeddedConf(
        text,
        SourceLocation(str(path), 1),
        base_dir=str(path.resolve().parent),
        section=section,
    )


def _tunnel_conf(doc: TunnelDoc, loc: Locator, side: str) -> EmbeddedConf:
    base: DataPath = ("tunnels", side)
    scenario_dir = Path(loc.path).resolve().parent
    if doc.stunnel_file is not None:
        path = Path(doc.stunnel_file)
        if not path.is_absolute():
            path = Path(os.path.normpath(scenario_dir / path))
        return read_conf_file(path, loc.location((*base, "stunnel_file")), doc.section)
    assert doc.stunnel is not None
    return EmbeddedConf(
        doc.stunnel,
        _text(loc, (*base, "stunnel")),
        base_dir=str(scenario_dir),
        section=doc.section,
    )


def _profile_ref(profile: str, loc: Locator) -> str:
    """A profile file named relatively resolves against the scenario file's directory
    (when it is there; otherwise it is left as written, as before)."""
    if not ("/" in profile or profile.endswith((".yaml", ".yml"))) or os.path.isabs(profile):
        return profile
    candidate = Path(loc.path).resolve().parent / profile
    return os.path.normpath(candidate) if candidate.is_file() else profile


def scenario_from_doc(doc: ScenarioDoc, loc: Locator) -> Scenario:
    """Build the frozen Scenario from a validated document and its locator."""
    server = _tunnel_conf(doc.tunnels.server, loc, "server")
    client = _tunnel_conf(doc.tunnels.client, loc, "client")
    for conf in (server, client):
        find_placeholders(conf)  # syntax check now, values later (runner)
    script = None
    if doc.fix.script is not None:
        script = EmbeddedText(doc.fix.script, _text(loc, ("fix", "script")))
    fix = FixSession(
        version=doc.fix.version,
        sender_comp_id=doc.fix.sender_comp_id,
        target_comp_id=doc.fix.target_comp_id,
        heartbeat_s=doc.fix.heartbeat_s,
        credentials=_creds(doc.fix.credentials),
        acceptor_credentials=_creds(doc.fix.acceptor.credentials if doc.fix.acceptor else None),
        script=script,
        location=loc.location(("fix",)),
    )
    proxy = None
    if doc.proxy is not None:
        proxy = Proxy(doc.proxy.username, doc.proxy.password, loc.location(("proxy",)))
    overrides = tuple(
        Override(
            backend_pair=o.backend_pair,
            reason=o.reason,
            expect=_expectations(o.expect, loc, ("overrides", i, "expect")),
            location=loc.location(("overrides", i)),
        )
        for i, o in enumerate(doc.overrides)
    )
    matrix = None
    if doc.matrix is not None:
        codes = () if doc.matrix.cipher == "profile" else tuple(doc.matrix.cipher)
        matrix = Matrix(codes, doc.matrix.cipher == "profile", loc.location(("matrix",)))
    selftest = None
    if doc.selftest is not None:
        selftest = SelfTest(
            tuple(doc.selftest.must_fail),
            loc.location(("selftest",)),
            doc.selftest.misreport_log,
        )
    return Scenario(
        id=doc.id,
        title=doc.title,
        guide_section=doc.guide_section,
        description=doc.description.strip(),
        profile=_profile_ref(doc.profile, loc),
        tags=tuple(doc.tags),
        server_conf=server,
        client_conf=client,
        fix=fix,
        proxy=proxy,
        expect=_expectations(doc.expect, loc, ("expect",)),
        overrides=overrides,
        matrix=matrix,
        source=loc.location(),
        selftest=selftest,
    )


def load_scenario(path: Path) -> Scenario:
    """Load and validate one scenario file.

    Raises:
        LocatedError: bad YAML, unknown key, wrong type, bad value (a cipher code
            that is not hex, an unknown auth outcome or alert, ...), or a bad
            placeholder; the message names the file and the line of the offending key.
    """
    loc = load_located_yaml(path)
    if not isinstance(loc.data, dict):
        raise LocatedError(loc.location(), "a scenario must be a YAML mapping")
    try:
        doc = ScenarioDoc.model_validate(loc.data)
    except ValidationError as exc:
        raise located_validation_error(exc, loc, "scenario", model=ScenarioDoc) from None
    return scenario_from_doc(doc, loc)


def scenario_files(paths: Iterable[Path]) -> list[Path]:
    """The scenario files named by ``paths``: files as given, directories searched
    recursively for ``*.yaml``/``*.yml``, sorted, without duplicates."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml")))
        elif p.is_file():
            out.append(p)
        else:
            raise HarnessError(f"no such scenario file or directory: {p}")
    return list(dict.fromkeys(out))


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of the scenario file format (docs/schemas/scenario.schema.json)."""
    schema = ScenarioDoc.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://fixs-harness.invalid/schemas/scenario.schema.json"
    return schema
