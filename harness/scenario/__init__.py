"""Scenarios: one FIX-over-TLS use case per YAML file, validated with line numbers.

Theory of operation
-------------------
A scenario file (format: docs/scenarios.md, schema: docs/schemas/scenario.schema.json)
embeds the server's and the client's stunnel sections verbatim, as the guide prints
them, with placeholders (``{pki.server_rsa.pem}``, ``{psk.secrets}``) where generated
fixtures go. It describes the FIX session run through the two tunnels and what must
be observed: TLS version, cipher code, authentication outcome (or the alert that
refuses the handshake), FIX logon outcome, messages round-tripped.

Loading goes YAML → plain data with a line for every key
(:mod:`harness.located_yaml`) → pydantic models with ``extra="forbid"``
(the file format; :mod:`harness.scenario.loader`) → frozen dataclasses
(:mod:`harness.scenario.model`), which is all the runner and the checks see. Any
problem becomes a ``LocatedError`` with the file and the line of the offending key.
Embedded texts keep the file line of their first line, so the stunnel.conf parser
and the FIX script reader can report file:line for what they find inside.

A scenario may declare a cipher matrix; :func:`expand_matrix` turns it into one
concrete variant per suite. Per-backend-pair overrides of expectations document
known version differences (:meth:`Scenario.expectations_for`).
"""

from harness.scenario.loader import (
    ANY_IN_PROFILE,
    load_scenario,
    scenario_files,
    scenario_json_schema,
)
from harness.scenario.matrix import expand_matrix, key_type, matrix_suites
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
    ForcedCipher,
    Matrix,
    Override,
    Proxy,
    Scenario,
    SelfTest,
    TlsExpectation,
)
from harness.scenario.placeholders import (
    NAMESPACES,
    Placeholder,
    find_placeholders,
    resolve_placeholders,
)
from harness.tls.alerts import ALERTS, alert_code

__all__ = [
    "ALERTS",
    "ANY_IN_PROFILE",
    "NAMESPACES",
    "Alert",
    "AuthExpectation",
    "CipherExpectation",
    "Credentials",
    "EmbeddedConf",
    "EmbeddedText",
    "Expectations",
    "FixExpectation",
    "FixSession",
    "ForcedCipher",
    "Matrix",
    "Override",
    "Placeholder",
    "Proxy",
    "Scenario",
    "SelfTest",
    "TlsExpectation",
    "alert_code",
    "expand_matrix",
    "find_placeholders",
    "key_type",
    "load_scenario",
    "matrix_suites",
    "resolve_placeholders",
    "scenario_files",
    "scenario_json_schema",
]
