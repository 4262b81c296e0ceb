"""Placeholders in embedded stunnel text: ``{namespace.name}``.

The guide's stunnel sections name files on the author's machine
(``cert = /etc/stunnel/stunnel.pem``). A scenario keeps the guide's text and puts a
placeholder where a generated fixture must go::

    cert = {pki.server_rsa.pem}
    CAfile = {pki.client_rsa.pin}
    PSKsecrets = {psk.secrets}

Syntax: ``{`` namespace ``.`` dotted-name ``}``; the namespace is one of
:data:`NAMESPACES`, the name is letters, digits, ``_``, ``-`` and ``.``. Anything
else in braces is left alone, except a ``{word.word}`` with an unknown namespace,
which is an error (almost always a typo). The scenario loader checks the syntax;
the runner supplies the values (which names exist under ``pki`` and ``psk`` is the
runner's and the PKI layer's contract) and calls :func:`resolve_placeholders`, which
names the file and line of any placeholder it cannot fill. Substitution never
changes line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from harness.errors import LocatedError, SourceLocation
from harness.scenario.model import EmbeddedText

#: pki: certificates/keys/pin files; psk: PSKsecrets files and identities;
#: proxy: the loopback CONNECT proxy; matrix: values set by matrix expansion.
NAMESPACES: tuple[str, ...] = ("pki", "psk", "proxy", "matrix")

_CANDIDATE = re.compile(r"\{([A-Za-z][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_-]+)+)\}")
#: a known namespace opened but never closed on its line: ``{pki.server_rsa.pem``
_UNCLOSED = re.compile(r"\{(" + "|".join(NAMESPACES) + r")\.[A-Za-z0-9_.{}-]*$")


@dataclass(frozen=True)
class Placeholder:
    """One placeholder occurrence: full name (``pki.server_rsa.pem``) and where it is."""

    name: str
    namespace: str
    location: SourceLocation
    column: int


def find_placeholders(text: EmbeddedText) -> tuple[Placeholder, ...]:
    """Every placeholder in ``text``, in order.

    Raises:
        LocatedError: a ``{ns.name}`` whose namespace is unknown.
    """
    found: list[Placeholder] = []
    for index, line in enumerate(text.text.splitlines()):
        rest = _CANDIDATE.sub("", _CANDIDATE.sub("", line))  # nested ones too
        unclosed = _UNCLOSED.search(rest.rstrip())
        if unclosed:
            raise LocatedError(
                text.location_of_line(index),
                f"placeholder {unclosed.group(0)!r} has no closing '}}'",
            )
        for m in _CANDIDATE.finditer(line):
            namespace = m.group(1)
            where = text.location_of_line(index)
            if namespace not in NAMESPACES:
                raise LocatedError(
                    where,
                    f"unknown placeholder namespace {namespace!r} in {m.group(0)}; "
                    f"known: {', '.join(NAMESPACES)}",
                )
            found.append(Placeholder(namespace + m.group(2), namespace, where, m.start() + 1))
    return tuple(found)


def resolve_placeholders(
    text: EmbeddedText, values: Mapping[str, str], *, only: tuple[str, ...] | None = None
) -> str:
    """``text`` with placeholders replaced by ``values[name]``.

    Args:
        text: the embedded text.
        values: full placeholder name → replacement (a path, an identity, ...).
        only: resolve only these namespaces and leave the others for a later pass
            (matrix expansion fills ``matrix.*`` before the runner fills the rest).

    Raises:
        LocatedError: a placeholder with no value, naming its file and line.
    """
    out_lines: list[str] = []
    for index, line in enumerate(text.text.split("\n")):

        def substitute(m: re.Match[str], index: int = index) -> str:
            namespace = m.group(1)
            if namespace not in NAMESPACES or (only is not None and namespace not in only):
                return m.group(0)
            name = namespace + m.group(2)
            if name not in values:
                raise LocatedError(
                    text.location_of_line(index), f"no value for placeholder {{{name}}}"
                )
            replacement = values[name]
            if "\n" in replacement:
                raise LocatedError(
                    text.location_of_line(index), f"value for {{{name}}} spans several lines"
                )
            return replacement

        out_lines.append(_CANDIDATE.sub(substitute, line))
    return "\n".join(out_lines)
