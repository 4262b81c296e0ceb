"""Socket rules: options judged on the live data sockets (``socket.nodelay.*``),
each a requirement or a recommendation; only a recommendation may be kept a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import LocatedError
from harness.profiles import load_profile
from tests.profiles.test_user_profiles import VALID, write

RULE = """\
socket_rules:
  - option: TCP_NODELAY
    value: 1
    sockets: [l, r]
    rule: recommendation
    when_not_met: warn
    section: "2.1.4"
"""


def test_the_guide_recommends_nodelay_on_local_and_remote_sockets() -> None:
    rule = load_profile("stunnel-guide-2017").socket_rule("TCP_NODELAY")
    assert rule is not None
    assert (rule.value, rule.sockets, rule.rule, rule.section) == (
        1,
        ("l", "r"),
        "recommendation",
        "2.1.4",
    )
    # the guide's own profile does not excuse Nagle: a miss fails the check
    assert rule.when_not_met == "fail"


def test_profiles_without_the_block_have_no_rule() -> None:
    assert load_profile("fixs-1.0").socket_rules == ()


def test_a_profile_may_keep_a_recommendation_a_warning(tmp_path: Path) -> None:
    rule = load_profile(write(tmp_path, VALID + RULE)).socket_rule("TCP_NODELAY")
    assert rule is not None and rule.when_not_met == "warn"


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (
            ("rule: recommendation", "rule: requirement"),
            19,
            "a requirement cannot be kept a warning",
        ),
        (("option: TCP_NODELAY", "option: SO_KEEPALIVE"), 15, "TCP_NODELAY"),
        (("sockets: [l, r]", "sockets: [a]"), 17, "sockets"),
        (("value: 1", "value: 2"), 16, "value"),
    ],
)
def test_rule_errors_name_file_and_line(
    tmp_path: Path, change: tuple[str, str], line: int, message: str
) -> None:
    text = (VALID + RULE).replace(*change)
    with pytest.raises(LocatedError) as err:
        load_profile(write(tmp_path, text))
    assert err.value.location.line == line, str(err.value)
    assert message in str(err.value)


def test_a_rule_listed_twice_is_an_error(tmp_path: Path) -> None:
    twice = RULE + RULE.split("\n", 1)[1]
    with pytest.raises(LocatedError, match="listed twice") as err:
        load_profile(write(tmp_path, VALID + twice))
    assert err.value.location.line == 21
