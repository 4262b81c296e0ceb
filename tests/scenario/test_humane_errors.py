"""Scenario errors a user can act on, and hostile YAML refused before it costs anything.

Each case failed on main before this change: unknown keys without a suggestion,
PyYAML's jargon for syntax errors, RecursionError at 1,000 levels of nesting,
ValueError for a 5,000-digit integer, ConstructorError for ``!!python/object``, an
alias bomb that took 20 s and 2 GB, ``run --list`` exiting 0 over broken files, and
a broken file counted as "inconclusive". Controls: a good file in the same run
loads, lists and passes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.errors import HarnessError, LocatedError
from harness.scenario import load_scenario

REPO = Path(__file__).resolve().parents[2]
GOOD = (REPO / "scenarios" / "guide" / "2-psk.yaml").read_text()


def _load(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> LocatedError:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    with pytest.raises(LocatedError) as err:
        load_scenario(path)
    return err.value


def test_control_the_good_file_loads(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(GOOD)
    assert load_scenario(tmp_path / "s.yaml").id == "guide-2"


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        ("\ntitle:", "\ntitel:", "unknown key 'titel' (did you mean 'title'?)"),
        ("  heartbeat_s: 30", "  heartbeats: 30", "in fix (did you mean 'heartbeat_s'?)"),
        ("  client:\n    stunnel:", "  client:\n    stunel:", "(did you mean 'stunnel'?)"),
        ("expect:\n", "expect:\n  colour: blue\n", "allowed here: tls, auth, fix, messages"),
    ],
)
def test_unknown_keys_get_a_did_you_mean(tmp_path: Path, old: str, new: str, hint: str) -> None:
    assert old in GOOD
    err = _load(tmp_path, GOOD.replace(old, new, 1))
    assert hint in err.message, err.message
    bad_line = GOOD.replace(old, new, 1).splitlines()[err.location.line - 1]
    assert bad_line.strip().split(":")[0] in new


def test_yaml_syntax_errors_in_plain_words_with_the_line(tmp_path: Path) -> None:
    err = _load(tmp_path, "id: x\ntitle: 1a: mutual TLS\n")
    assert err.location.line == 2
    assert "quote a value that contains ': '" in err.message
    err = _load(tmp_path, "id: x\ntitle: t\n\tfix: {}\n")
    assert err.location.line == 3 and "tab" in err.message
    err = _load(tmp_path, 'id: x\ntitle: "unclosed\nfix: {}\n')
    assert "quote" in err.message


def _timed(fn: object) -> float:
    started = time.monotonic()
    assert callable(fn)
    fn()
    return time.monotonic() - started


def test_deep_nesting_is_refused_without_recursion_error(tmp_path: Path) -> None:
    for depth in (1_000, 50_000):
        err = _load(tmp_path, "id: " + "[" * depth + "]" * depth + "\n")
        assert "nested more than" in err.message and err.location.line == 1
    err = _load(tmp_path, "".join(" " * i + "a:\n" for i in range(2_000)))
    assert "nested more than" in err.message


def test_a_5000_digit_integer_is_a_located_error(tmp_path: Path) -> None:
    err = _load(tmp_path, "id: x\ntitle: t\nfix:\n  heartbeat_s: " + "9" * 5_000 + "\n")
    assert err.location.line == 4 and "too long" in err.message


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    for text in (
        f'id: !!python/object/apply:os.system ["touch {marker}"]\n',
        "id: !!python/object:os.system {}\n",
        "id: !!python/name:os.system ''\n",
        "id: !custom 3\n",
    ):
        err = _load(tmp_path, text)
        assert "is not allowed" in err.message and err.location.line == 1
    assert not marker.exists()


def test_an_alias_bomb_fails_fast(tmp_path: Path) -> None:
    # the classic "billion laughs": each level holds nine references to the last
    lines = ['lol_level_00_padding: &lol_level_00_padding ["lol","lol","lol","lol","lol"]']
    previous = "lol_level_00_padding"
    for level in range(1, 11):
        name = f"lol_level_{level:02d}_padding"
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    text = "\n".join(lines) + "\n"
    assert 2_000 <= len(text) <= 2_600
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    started = time.monotonic()
    with pytest.raises(LocatedError) as err:
        load_scenario(path)
    assert time.monotonic() - started < 1.0
    assert "aliases" in err.value.message and err.value.location.line == 2


def test_bounded_fuzz_of_the_loader_only_located_errors(tmp_path: Path) -> None:
    """300 byte-level mutants of a shipped scenario: each loads or is a HarnessError;
    never another exception; bounded in count and time."""
    rng = random.Random(1513)
    base = GOOD.encode()
    path = tmp_path / "m.yaml"
    started = time.monotonic()
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(300):
        data = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            op = rng.random()
            pos = rng.randrange(len(data))
            if op < 0.4:
                data[pos] = rng.randrange(256)
            elif op < 0.7:
                data[pos:pos] = rng.choice(
                    [b"&a ", b"*a", b"!!python/object ", b"[" * 70, b"\t", b": ", b"'", b"9" * 200]
                )
            else:
                del data[pos : pos + rng.randint(1, 20)]
        path.write_bytes(bytes(data))
        try:
            load_scenario(path)
            outcomes["loaded"] += 1
        except HarnessError:
            outcomes["refused"] += 1
        assert time.monotonic() - started < 60
    assert outcomes["refused"] > 100


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "harness", "run", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_run_list_exits_2_and_names_files_that_do_not_load(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text("id: x\ntitle: a: b\n")
    proc = _run(tmp_path, "good.yaml", "bad.yaml", "--list")
    assert proc.returncode == 2
    assert "guide-2[python:python]" in proc.stdout  # the control is listed
    assert "error: bad.yaml:2: YAML syntax error" in proc.stdout
    proc = _run(tmp_path, "good.yaml", "--list")
    assert proc.returncode == 0


def test_a_malformed_file_is_an_error_in_every_summary(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text(GOOD.replace("\ntitle:", "\ntitel:", 1))
    proc = _run(tmp_path, "good.yaml", "bad.yaml", "--report-dir", "out", "--capture", "tap")
    assert proc.returncode == 2
    assert "1 passed, 0 failed, 0 inconclusive, 1 error(s)" in proc.stdout
    summary = json.loads((tmp_path / "out" / "report.json").read_text())["summary"]
    assert (summary["passed"], summary["inconclusive"], summary["errors"]) == (1, 0, 1)
    # the reports count checks in their headline and list the error apart
    assert "## Harness errors (1)" in (tmp_path / "out" / "summary.md").read_text()
    assert "Harness error" in (html := (tmp_path / "out" / "report.html").read_text())
    assert "unknown key &#x27;titel&#x27;" in html
    assert 'errors="1"' in (tmp_path / "out" / "junit.xml").read_text()
