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

It lives in the lowest layer (beside the profiles, which need it) so the scenario
loader, one layer up, can share it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.errors import LocatedError, SourceLocation

DataPath = tuple[str | int, ...]


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
    return constructor.construct_object(node, deep=True)


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
        nodes = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + 1 if mark is not None else 0
        problem = exc.problem or exc.context or "invalid YAML"
        raise LocatedError(SourceLocation(name, line), f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise LocatedError(SourceLocation(name), f"YAML error: {exc}") from None
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


def located_validation_error(exc: Any, locator: Locator, what: str = "file") -> LocatedError:
    """Turn a pydantic ``ValidationError`` into one :class:`LocatedError`.

    The error names the line of the first problem (in file order) and summarises any
    others with their lines, so a user fixes them in one pass.
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
        problems.append((line, _describe(err, found, loc)))
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


def _dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(err: Any, found: DataPath, loc: tuple[Any, ...]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        parent = _dotted(found[:-1])
        return f"unknown key {found[-1]!r}" + (f" in {parent}" if parent else "")
    if kind == "missing":
        missing = loc[-1] if loc else "?"
        parent = _dotted(found)
        return f"missing required key {missing!r}" + (f" in {parent}" if parent else "")
    msg = str(err.get("msg", "invalid value"))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    where = _dotted(found)
    return f"{where}: {msg}" if where else msg
