"""Matrix expansion: one scenario → one concrete case per cipher suite.

A scenario with ``matrix: {cipher: profile}`` (or a list of codes) becomes one
variant per suite, each with id ``<id>[0xC030]``, an exact cipher expectation, and a
:class:`ForcedCipher` telling the runner to pin both sides to that suite. The
embedded stunnel text may use ``{matrix.cipher}`` (the suite's OpenSSL name) and
``{matrix.key_type}`` (``rsa``, ``ecdsa`` or ``psk``: which certificate the suite
needs), e.g. ``cert = {pki.server_{matrix.key_type}.pem}``; expansion fills these,
the runner fills the rest. Line numbers are unchanged by the substitution.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from harness.errors import LocatedError
from harness.profiles.model import Profile, Suite
from harness.scenario.model import (
    CipherExpectation,
    EmbeddedConf,
    Expectations,
    ForcedCipher,
    Scenario,
    TlsExpectation,
)
from harness.scenario.placeholders import resolve_placeholders
from harness.tls.codes import format_code, is_tls13_code

KeyType = Literal["rsa", "ecdsa", "psk", "any"]


def key_type(suite: Suite) -> KeyType:
    """Which key the suite authenticates with (decides the certificate to use)."""
    if suite.authentication == "psk":
        return "psk"
    if suite.authentication == "any":
        return "any"
    return "ecdsa" if "_ECDSA_" in suite.iana else "rsa"


def matrix_suites(scenario: Scenario, profile: Profile) -> tuple[Suite, ...]:
    """The suites a matrix scenario expands to, in the profile's order."""
    matrix = scenario.matrix
    if matrix is None:
        return ()
    if matrix.from_profile:
        auth = scenario.expect.auth.outcome if scenario.expect.auth else None
        wanted: Literal["psk", "certificate"] = "psk" if auth == "psk" else "certificate"
        return tuple(s for s in profile.suites_for(wanted) if not is_tls13_code(s.code))
    out: list[Suite] = []
    for code in matrix.cipher_codes:
        suite = profile.suite(code)
        if suite is None:
            raise LocatedError(
                matrix.location,
                f"matrix cipher {format_code(code)} is not in profile {profile.name!r}",
            )
        out.append(suite)
    return tuple(out)


def _with_cipher(expect: Expectations, code: int) -> Expectations:
    tls = expect.tls or TlsExpectation()
    return replace(expect, tls=replace(tls, cipher=CipherExpectation(codes=(code,))))


def expand_matrix(scenario: Scenario, profile: Profile) -> tuple[Scenario, ...]:
    """Concrete variants of ``scenario``; a scenario without a matrix is returned alone.

    Raises:
        LocatedError: a listed code the profile does not allow, or an empty expansion.
    """
    if scenario.matrix is None:
        return (scenario,)
    suites = matrix_suites(scenario, profile)
    if not suites:
        raise LocatedError(scenario.matrix.location, f"profile {profile.name!r} has no suites")
    variants: list[Scenario] = []
    for suite in suites:
        kt = key_type(suite)
        values = {"matrix.cipher": suite.openssl, "matrix.key_type": kt}

        def fill(conf: EmbeddedConf, values: dict[str, str] = values) -> EmbeddedConf:
            text = resolve_placeholders(conf, values, only=("matrix",))
            return replace(conf, text=text)

        variants.append(
            replace(
                scenario,
                id=f"{scenario.id}[{suite.hex}]",
                title=f"{scenario.title} [{suite.iana}]",
                server_conf=fill(scenario.server_conf),
                client_conf=fill(scenario.client_conf),
                expect=_with_cipher(scenario.expect, suite.code),
                overrides=tuple(
                    replace(o, expect=_with_cipher(o.expect, suite.code))
                    if o.expect.tls is not None
                    else o
                    for o in scenario.overrides
                ),
                matrix=None,
                forced_cipher=ForcedCipher(suite.code, suite.openssl, kt),
            )
        )
    return tuple(variants)
