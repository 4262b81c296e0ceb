"""YAML with line numbers: plain Python data plus a map from data path to file line.

Every user-written file in this project (scenarios, profiles) is YAML validated by a
pydantic model. Pydantic reports errors by *data path* (``("expect", "tls",
"cipher")``); users need *file lines*. This module composes the YAML into PyYAML's
node graph (which carries start marks), converts it to plain dicts/lists/scalars, and
records, for every mapping key and sequence item, the 1-based line where it starts.
:meth:`Locator.line_for` then turns a pydantic ``loc`` into the nearest line.

Two deliberate departures from PyYAML's defaults:

* duplicate keys in one mapping are an error (PyYAML silently keeps the last one,
  which hides copy-paste mistakes in long stunnel sections);
* integers written in hex (``0xC030``) stay strings, so that a cipher code keeps the
  form the user wrote and a decimal ``49200`` can be told apart and rejected.

Hostile or broken input is refused before it can cost anything: aliases (``*name``)
are refused outright (an alias bomb of a few KB would otherwise expand to gigabytes),
nesting deeper than :data:`MAX_DEPTH` is refused before the recursive composer sees
it, integers longer than :data:`MAX_INT_DIGITS` digits and any tag the safe
constructor does not know (``!!python/object``) are errors with the line. YAML
syntax errors are told in plain words with the line.

It lives in the pure core (the lowest layer, beside :mod:`harness.errors`) because it
is nobody's in particular: the profile loader, the scenario loader and the fleet
inventory reader all read their YAML through it.
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.errors import LocatedError, SourceLocation

DataPath = tuple[str | int, ...]

#: Deepest nesting of mappings and sequences a user file may have (scenarios need 6).
MAX_DEPTH = 64
#: Longest integer, in digits (Python refuses to convert more than 4,300).
MAX_INT_DIGITS = 100


@dataclass(frozen=True)
class Locator:
    """Where each part of a loaded YAML document starts in its file.

    ``lines`` maps a data path to the line of its key (for mapping entries) or of its
    first token (for sequence items); ``value_lines`` maps the same path to the line
    where the value itself starts, and ``block_first_lines`` gives, for block scalars
    (``|`` / ``>``), the line of the text's first line.
    """

    path: str
    data: Any
    lines: dict[DataPath, int] = field(default_factory=dict)
    value_lines: dict[DataPath, int] = field(default_factory=dict)
    block_first_lines: dict[DataPath, int] = field(default_factory=dict)

    def location(self, loc: Iterable[str | int] = ()) -> SourceLocation:
        """The file location nearest to a pydantic error ``loc`` (or a data path)."""
        return SourceLocation(self.path, self.line_for(loc))

    def resolve(self, loc: Iterable[str | int]) -> DataPath:
        """The longest prefix of ``loc`` that exists in the data.

        Components that are not in the data (pydantic adds union member tags and
        validator names to ``loc``) are skipped rather than ending the walk, so
        ``("expect", "auth", "AuthDoc", "alert")`` still finds ``expect.auth.alert``.
        """
        node = self.data
        found: list[str | int] = []
        for part in loc:
            present, child = _child(node, part)
            if present:
                node = child
                found.append(part)
        return tuple(found)

    def line_for(self, loc: Iterable[str | int]) -> int:
        path = self.resolve(loc)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)

    def text_line(self, path: DataPath) -> int:
        """The line of the first line of the text at ``path`` (block or plain scalar)."""
        if path in self.block_first_lines:
            return self.block_first_lines[path]
        return self.value_lines.get(path, self.line_for(path))


def _child(node: Any, part: object) -> tuple[bool, Any]:
    if isinstance(node, dict) and isinstance(part, str) and part in node:
        return True, node[part]
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return True, node[part]
    return False, None


class _ScalarConstructor(SafeConstructor):
    """SafeConstructor used one scalar at a time; keeps hex integers as text."""

    def construct_yaml_int(self, node: ScalarNode) -> Any:
        text = str(node.value).replace("_", "")
        if text.lstrip("+-").lower().startswith("0x"):
            return str(node.value)
        if len(text.lstrip("+-")) > MAX_INT_DIGITS:
            raise ValueError(f"a number of {len(text)} digits is too long")
        return super().construct_yaml_int(node)


_ScalarConstructor.add_constructor(  # type: ignore[type-var]
    "tag:yaml.org,2002:int", _ScalarConstructor.construct_yaml_int
)


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _convert(node: Node, path: DataPath, loc: Locator, constructor: _ScalarConstructor) -> Any:
    loc.value_lines[path] = _line(node)
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                raise LocatedError(
                    SourceLocation(loc.path, _line(key_node)), "mapping keys must be plain words"
                )
            key = str(key_node.value)
            if key == "<<":
                raise LocatedError(
                    SourceLocation(loc.path, _line(key_node)),
                    "YAML merge keys (<<) are not supported",
                )
            if key in out:
                raise LocatedError(
                    SourceLocation(loc.path, _line(key_node)),
                    f"duplicate key {key!r} (first at line {loc.lines[(*path, key)]})",
                )
            loc.lines[(*path, key)] = _line(key_node)
            out[key] = _convert(value_node, (*path, key), loc, constructor)
        return out
    if isinstance(node, SequenceNode):
        items: list[Any] = []
        for index, item in enumerate(node.value):
            loc.lines[(*path, index)] = _line(item)
            items.append(_convert(item, (*path, index), loc, constructor))
        return items
    assert isinstance(node, ScalarNode)
    if node.style in ("|", ">"):
        # The node starts at the indicator; the text starts on the next line.
        loc.block_first_lines[path] = _line(node) + 1
    if node.tag not in constructor.yaml_constructors:
        raise LocatedError(
            SourceLocation(loc.path, _line(node)),
            f"the YAML tag {_tag_text(node.tag)} is not allowed (plain values only)",
        )
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        raise LocatedError(
            SourceLocation(loc.path, _line(node)), f"cannot read this value: {exc}"
        ) from None


def _event_line(event: yaml.Event) -> int:
    return int(event.start_mark.line) + 1 if event.start_mark is not None else 0


def _check_structure(text: str, name: str) -> None:
    """Refuse aliases, non-standard tags on collections and deep nesting, reading the
    event stream (iterative, linear in the text) before anything recursive runs."""
    depth = 0
    # libyaml's parser when PyYAML has it (the same event stream, faster); a document
    # it refuses (a syntax error, or its own nesting limit) is read again by the
    # pure-Python parser, which stops at the first refused event with our message
    events: Iterable[yaml.Event]
    try:
        events = list(yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except yaml.YAMLError:
        events = yaml.parse(text, Loader=yaml.SafeLoader)
    for event in events:
        if isinstance(event, yaml.AliasEvent):
            raise LocatedError(
                SourceLocation(name, _event_line(event)),
                f"YAML aliases (*{event.anchor}) are not supported: write the value out",
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            tag = event.tag
            if tag is not None and tag not in ("!", *_STANDARD_COLLECTION_TAGS):
                raise LocatedError(
                    SourceLocation(name, _event_line(event)),
                    f"the YAML tag {_tag_text(tag)} is not allowed (plain values only)",
                )
            if depth > MAX_DEPTH:
                raise LocatedError(
                    SourceLocation(name, _event_line(event)),
                    f"nested more than {MAX_DEPTH} levels deep",
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


_STANDARD_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")

#: PyYAML's problem texts, in plain words (the original follows in brackets).
_PLAIN_WORDS: tuple[tuple[str, str], ...] = (
    (
        "mapping values are not allowed here",
        "a second ':' on this line, or a line indented under a value: quote a value "
        "that contains ': ', or fix the indentation",
    ),
    ("could not find expected ':'", "a line that is not 'key: value' (a missing colon?)"),
    (
        "cannot start any token",
        "a character YAML cannot start a value with (a tab? indent with spaces)",
    ),
    ("did not find expected key", "this line is not lined up with the keys above it"),
    (
        "did not find expected '-' indicator",
        "this list item is not lined up with the items above it",
    ),
    (
        "found unexpected end of stream",
        "the file ends inside a quoted value: a quote is not closed",
    ),
    ("found unexpected ':'", "an unexpected ':' (quote the value)"),
    ("expected <block end>", "the indentation of this line does not match the lines above it"),
    ("found undefined alias", "an alias (*name) that names no anchor"),
    ("found duplicate anchor", "an anchor (&name) defined twice"),
)


def _tag_text(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!", 1)


def _plain(problem: str) -> str:
    for needle, words in _PLAIN_WORDS:
        if needle in problem:
            return f"{words} [{problem}]"
    return problem


def _compose(text: str) -> list[Node]:
    """YAML nodes with their marks, by libyaml when PyYAML was built with it (about
    ten times faster than the pure-Python composer: a built-in profile is read on
    every command's start). A document libyaml refuses is composed again by the
    pure-Python composer, so the error a user reads is PyYAML's, as before."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return list(yaml.compose_all(text, Loader=fast))
        except yaml.YAMLError:
            pass
    return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def load_located_yaml(path: Path, text: str | None = None) -> Locator:
    """Parse one YAML document and return its data with line information.

    Args:
        path: the file (read unless ``text`` is given); used in every error message.
        text: the file's content, when the caller already has it.

    Raises:
        LocatedError: unreadable file, YAML syntax error, several documents,
            duplicate keys, or non-scalar keys; each names the file and line.
    """
    name = str(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise LocatedError(SourceLocation(name), f"cannot read file: {exc}") from None
    try:
        _check_structure(text, name)
        nodes = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 0
        problem = exc.problem or exc.context or "invalid YAML"
        raise LocatedError(
            SourceLocation(name, line), f"YAML syntax error: {_plain(problem)}"
        ) from None
    except yaml.YAMLError as exc:
        raise LocatedError(SourceLocation(name), f"YAML error: {exc}") from None
    except RecursionError:
        raise LocatedError(SourceLocation(name), "nested too deeply") from None
    if len(nodes) != 1 or nodes[0] is None:
        raise LocatedError(
            SourceLocation(name, 1),
            "expected exactly one YAML document" if nodes else "the file is empty",
        )
    root = nodes[0]
    loc = Locator(path=name, data=None)
    loc.lines[()] = _line(root)
    data = _convert(root, (), loc, _ScalarConstructor())
    object.__setattr__(loc, "data", data)
    return loc


def located_validation_error(
    exc: Any, locator: Locator, what: str = "file", *, model: type | None = None
) -> LocatedError:
    """Turn a pydantic ``ValidationError`` into one :class:`LocatedError`.

    The error names the line of the first problem (in file order) and summarises any
    others with their lines, so a user fixes them in one pass. With ``model`` (the
    pydantic model validated), an unknown key gets a "did you mean" from the keys
    allowed at that place.
    """
    problems: list[tuple[int, str]] = []
    seen: set[tuple[int, DataPath]] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        found = locator.resolve(loc)
        line = locator.line_for(loc)
        # A union reports one error per alternative at the same place; the first
        # (the fullest alternative) is the one worth reading.
        if (line, found) in seen and err.get("type") != "extra_forbidden":
            continue
        seen.add((line, found))
        problems.append((line, _describe(err, found, loc, model)))
    # "missing 'title'" beside "unknown key 'titel' (did you mean 'title'?)" is one
    # mistake: keep the suggestion, drop the missing-key report it explains
    suggested = {m.group(1) for _, text in problems if (m := _SUGGESTION.search(text))}
    problems = [
        (line, text)
        for line, text in problems
        if not ((m := _MISSING.match(text)) and m.group(1) in suggested)
    ]
    problems.sort(key=lambda p: p[0])
    if not problems:
        return LocatedError(locator.location(), f"invalid {what}")
    first_line, first = problems[0]
    rest = problems[1:]
    message = first
    if rest:
        others = "; ".join(f"line {line}: {text}" for line, text in rest[:5])
        more = f" and {len(rest) - 5} more" if len(rest) > 5 else ""
        message += f" (also {others}{more})"
    return LocatedError(SourceLocation(locator.path, first_line), message)


_SUGGESTION = re.compile(r"\(did you mean '([^']+)'\?\)")
_MISSING = re.compile(r"missing required key '([^']+)'")


def _dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _models_in(annotation: Any) -> list[type]:
    """The pydantic model classes an annotation can hold (through Optional, list,
    Annotated, unions)."""
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type] = []
    for arg in typing.get_args(annotation):
        out.extend(_models_in(arg))
    return out


def allowed_keys(model: type, path: Iterable[str | int]) -> list[str]:
    """The keys a pydantic ``model`` allows at data ``path`` (empty if unknown)."""
    models = [model]
    for part in path:
        if isinstance(part, int):
            continue  # a list item: same models
        nxt: list[type] = []
        for m in models:
            fields = getattr(m, "model_fields", {})
            if part in fields:
                nxt.extend(_models_in(fields[part].annotation))
        if not nxt:
            return []
        models = nxt
    keys: list[str] = []
    for m in models:
        keys.extend(getattr(m, "model_fields", {}))
    return list(dict.fromkeys(keys))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or a list of the choices."""
    choices = list(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if c.lower() == word.lower().replace("-", "_")]
    if close:
        return f" (did you mean {close[0]!r}?)"
    if choices:
        return f" (allowed here: {', '.join(choices)})"
    return ""


def _describe(err: Any, found: DataPath, loc: tuple[Any, ...], model: type | None = None) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        parent = _dotted(found[:-1])
        hint = did_you_mean(str(found[-1]), allowed_keys(model, found[:-1])) if model else ""
        return f"unknown key {found[-1]!r}" + (f" in {parent}" if parent else "") + hint
    if kind == "missing":
        missing = loc[-1] if loc else "?"
        parent = _dotted(found)
        return f"missing required key {missing!r}" + (f" in {parent}" if parent else "")
    msg = str(err.get("msg", "invalid value"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    where = _dotted(found)
    return f"{where}: {msg}" if where else msg
