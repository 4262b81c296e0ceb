"""The one code grammar: every spelling accepted today by profiles, scenarios, the
``ciphers`` command and drift, and nothing that would have to be guessed."""

from __future__ import annotations

import re

import pytest

from harness import profiles
from harness.tls import registry
from harness.tls.codes import CODE_PATTERN, format_code, is_grease, is_tls13_code, parse_code

ACCEPTED = [
    ("0xC030", 0xC030),
    ("0xc030", 0xC030),
    ("0XC030", 0xC030),
    ("C030", 0xC030),  # was refused by profiles, accepted by ciphers
    ("c030", 0xC030),
    ("0xC0,0x30", 0xC030),
    ("0xc0, 0x30", 0xC030),
    ("0xC0 ,  0x30", 0xC030),
    (" 0xC030 ", 0xC030),
    ("0x3", 0x0003),  # was accepted by profiles, refused by ciphers
    ("0x8C", 0x008C),
    ("0x008C", 0x008C),
    ("0x0", 0x0000),
    ("008C", 0x008C),
    ("0x1301", 0x1301),
    ("0xFFFF", 0xFFFF),
]

REFUSED: list[object] = [
    "",
    "0x",
    "C03",  # three bare digits: not a form anyone writes
    "C0300",
    "0xC0300",
    "49200",  # decimal: a mistake for 0xC030, never guessed
    49200,
    0xC030,
    True,
    None,
    "0xGG",
    "0xC0,0x300",
    "0xC0,30",
    "C0,30",
    "0xC0;0x30",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
]


@pytest.mark.parametrize(("text", "code"), ACCEPTED)
def test_accepted(text: str, code: int) -> None:
    assert parse_code(text) == code
    assert re.match(CODE_PATTERN, text), "the JSON-schema pattern must agree"


@pytest.mark.parametrize("text", REFUSED)
def test_refused(text: object) -> None:
    with pytest.raises(ValueError, match="not hex like 0xC030"):
        parse_code(text)
    if isinstance(text, str):
        assert not re.match(CODE_PATTERN, text)


@pytest.mark.parametrize("code", [0x0000, 0x0003, 0x008C, 0x1301, 0xC030, 0xFFFF])
def test_round_trip(code: int) -> None:
    text = format_code(code)
    assert re.fullmatch(r"0x[0-9A-F]{4}", text)
    assert parse_code(text) == code


@pytest.mark.parametrize(("text", "_code"), ACCEPTED)
def test_format_of_parse_is_canonical(text: str, _code: int) -> None:
    canonical = format_code(parse_code(text))
    assert format_code(parse_code(canonical)) == canonical


def test_one_grammar_everywhere() -> None:
    """The old homes re-export, they do not re-implement."""
    assert profiles.parse_code is registry.parse_code is parse_code
    assert profiles.format_code is registry.format_code is format_code


def test_tls13_and_grease() -> None:
    assert is_tls13_code(0x1301) and not is_tls13_code(0xC030)
    assert is_grease(0xDADA) and not is_grease(0xDADB) and not is_grease(0x0A1A)
