"""Finding profiles by name or path, and loading the built-in ones without pydantic.

Theory of operation
-------------------
A user's profile file is untrusted input: :func:`load_profile` hands it to
:mod:`harness.profiles.loader`, which validates it with pydantic and names file and
line for every problem. The built-in profiles (``harness/profiles/*.yaml``) ship with
the package and are validated by that same loader in the test suite
(tests/profiles/test_builtin_fast.py checks, for every built-in, that the path here
builds exactly the Profile the pydantic loader builds). Loading them is on the path
of every ``certify server``, where importing pydantic and building the loader's
models cost more than the rest of the start-up, so they are read here straight from
the YAML into the frozen model (:func:`trusted_profile`), with the loader's defaults
and conversions. Should a built-in ever not fit that mould (a KeyError, a bad code),
the pydantic loader reads it instead and reports whatever is wrong as it would.

Not even YAML is read on that path: each built-in has a JSON twin,
``harness/profiles/compiled/NAME.json`` (written by ``python -m
harness.tools.profile_twins``), holding the YAML file's data and the SHA-256 of the
text it was made from. A twin is used only when that hash is the YAML file's as it is
now; otherwise (someone edited the YAML and did not regenerate) the YAML is read, so
a stale twin costs time, never correctness. tests/profiles/test_builtin_fast.py fails
while any twin is stale. Importing PyYAML and composing the file with line numbers
was about 40 ms of a ``certify server`` process.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError, LocatedError, SourceLocation
from harness.profiles.model import (
    DefiningCheck,
    Erratum,
    KeySizes,
    Profile,
    SocketRule,
    Suite,
    UseCase,
)
from harness.tls.codes import parse_code
from harness.tls.versions import normalise_version

if TYPE_CHECKING:
    from harness.located_yaml import Locator


def _builtin_dir() -> Path:
    # the package's own directory (importlib.resources would import zipfile, lzma
    # and bz2 for a package that is always installed as files)
    return Path(__file__).resolve().parent


def builtin_dir() -> Path:
    """The directory of the built-in profile files."""
    return _builtin_dir()


def list_profiles() -> tuple[str, ...]:
    """Names of the built-in profiles (file stems of harness/profiles/*.yaml)."""
    return tuple(sorted(p.stem for p in _builtin_dir().glob("*.yaml")))


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name (``fixs-1.0``) or a user's profile file by path.

    Anything containing a path separator or ending in ``.yaml``/``.yml`` is a path.

    Raises:
        HarnessError: unknown built-in name (the message lists the known ones).
        LocatedError: the file is invalid; names file and line.
    """
    looks_like_path = "/" in name_or_path or name_or_path.endswith((".yaml", ".yml"))
    if looks_like_path:
        path = Path(name_or_path)
        if not path.is_file():
            raise HarnessError(f"profile file not found: {name_or_path}")
        from harness.profiles.loader import profile_from_file

        return profile_from_file(path)
    return _builtin_profile(name_or_path)


def trusted_profile(loc: Locator) -> Profile:
    """The Profile of an already validated profile document, without pydantic.

    Mirrors the loader's ``ProfileDoc`` defaults and conversions (codes through
    ``parse_code``, versions through ``normalise_version``); it checks nothing else,
    so it is for the built-in files only.
    """
    return _profile(loc.data, loc.location())


def twin_path(path: Path) -> Path:
    """Where the JSON twin of the built-in profile file ``path`` is."""
    return path.parent / "compiled" / f"{path.stem}.json"


def twin_of(path: Path) -> dict[str, Any]:
    """The JSON twin's document for the built-in profile file ``path``."""
    from harness.located_yaml import load_located_yaml

    text = path.read_bytes()
    loc = load_located_yaml(path)
    return {
        "yaml_sha256": hashlib.sha256(text).hexdigest(),
        "root_line": loc.location().line,
        "data": loc.data,
    }


def _from_twin(path: Path) -> Profile | None:
    """The profile from its JSON twin, when the twin was made from this very text."""
    try:
        doc = json.loads(twin_path(path).read_text(encoding="utf-8"))
        text = path.read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("yaml_sha256") != hashlib.sha256(text).hexdigest():
        return None
    return _profile(doc["data"], SourceLocation(str(path), doc["root_line"]))


def _profile(d: dict[str, Any], location: SourceLocation) -> Profile:
    return Profile(
        name=d["name"],
        title=d["title"],
        source=d["source"],
        tls_versions=tuple(normalise_version(v) for v in d["tls_versions"]),
        suites=tuple(
            Suite(
                code=parse_code(s["code"]),
                iana=s["iana"],
                openssl=s["openssl"],
                authentication=s["authentication"],
                forward_secret=s["forward_secret"],
                erratum=s.get("erratum"),
                note=s.get("note"),
            )
            for s in d["suites"]
        ),
        required_suites=tuple(parse_code(c) for c in d.get("required_suites", ())),
        min_key_bits=KeySizes(
            d["min_key_bits"]["rsa"], d["min_key_bits"]["ecdsa"], d["min_key_bits"]["dhe"]
        ),
        psk_min_key_bytes=d["psk_min_key_bytes"],
        use_cases=tuple(
            UseCase(
                id=key,
                title=u["title"],
                section=u["section"],
                server_auth=u["server_auth"],
                client_auth=u["client_auth"],
                client_certificate_required=u["client_certificate_required"],
                defining_checks=tuple(
                    DefiningCheck(c["id"], c.get("needs", ""), c.get("layer", "tls"))
                    for c in u.get("defining_checks", ())
                ),
            )
            for key, u in d.get("use_cases", {}).items()
        ),
        errata=tuple(
            Erratum(
                e["id"], e["title"], e["text"].strip(), tuple(parse_code(c) for c in e["codes"])
            )
            for e in d.get("errata", ())
        ),
        notes=d.get("notes", "").strip(),
        location=location,
        socket_rules=tuple(
            SocketRule(
                option=r["option"],
                value=r["value"],
                sockets=tuple(dict.fromkeys(r["sockets"])),
                rule=r["rule"],
                when_not_met=r.get("when_not_met", "fail"),
                section=r.get("section"),
                text=r.get("text", "").strip(),
            )
            for r in d.get("socket_rules", ())
        ),
        expiry_horizon_days=d.get("expiry_horizon_days", 30),
    )


# Built-in profiles ship with the package and do not change while it runs, and the
# runner asks for a scenario's profile at collection and again for every backend
# pair; parse each once (a Profile is frozen, so sharing it is safe). Errors are not
# cached: functools.cache only remembers returned values.
@cache
def _builtin_profile(name: str) -> Profile:
    path = _builtin_dir() / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(list_profiles())
        raise HarnessError(f"unknown profile {name!r}; built-in profiles: {known}")
    try:
        profile = _from_twin(path)
        if profile is None:
            from harness.located_yaml import load_located_yaml

            profile = trusted_profile(load_located_yaml(path))
    except (LookupError, TypeError, ValueError, AttributeError, LocatedError):
        # not in the mould of a valid profile: let the pydantic loader say why
        from harness.profiles.loader import profile_from_file

        profile = profile_from_file(path)
    if profile.name != name:
        raise LocatedError(
            profile.location, f"profile name {profile.name!r} does not match its file name"
        )
    return profile
