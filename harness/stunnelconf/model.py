"""The parsed form of a stunnel.conf: sections of options, each with its file and line.

The model is a faithful, ordered record of what the file says (option order matters to
stunnel: later options override earlier ones, e.g. ``requireCert = no`` after
``verifyPeer = yes``). Meaning is given to it by :mod:`harness.stunnelconf.semantics`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from harness.errors import SourceLocation
from harness.stunnelconf.options import OPTIONS


@dataclass(frozen=True)
class Option:
    """One ``name = value`` line. ``name`` is stunnel's canonical spelling."""

    name: str
    value: str
    location: SourceLocation

    @property
    def key(self) -> str:
        return self.name.lower()

    def render(self) -> str:
        return f"{self.name} = {self.value}"


@dataclass(frozen=True)
class Section:
    """The global section (``name is None``) or one ``[service]`` section."""

    name: str | None
    options: tuple[Option, ...]
    location: SourceLocation

    def get(self, name: str) -> Option | None:
        """The last occurrence of an option (stunnel: the last one wins)."""
        key = name.lower()
        found = None
        for opt in self.options:
            if opt.key == key:
                found = opt
        return found

    def get_all(self, name: str) -> list[Option]:
        key = name.lower()
        return [opt for opt in self.options if opt.key == key]

    def value(self, name: str, default: str | None = None) -> str | None:
        opt = self.get(name)
        return opt.value if opt else default

    def __iter__(self) -> Iterator[Option]:
        return iter(self.options)


@dataclass(frozen=True)
class StunnelConfig:
    """A whole stunnel.conf: global options then services, in file order."""

    global_section: Section
    services: tuple[Section, ...]
    path: str = "<string>"
    comments: tuple[str, ...] = field(default=(), compare=False)

    def service(self, name: str) -> Section:
        for svc in self.services:
            if svc.name == name:
                return svc
        raise KeyError(name)

    @property
    def service_names(self) -> list[str]:
        return [s.name for s in self.services if s.name is not None]

    def render(self) -> str:
        """Render back to stunnel.conf text (comments dropped, order kept)."""
        lines = [opt.render() for opt in self.global_section.options]
        for svc in self.services:
            if lines:
                lines.append("")
            lines.append(f"[{svc.name}]")
            lines.extend(opt.render() for opt in svc.options)
        return "\n".join(lines) + "\n"

    # --- editing (returns new configs; used to rewrite addresses and paths)

    def _with_section(self, service: str | None, section: Section) -> StunnelConfig:
        if service is None:
            return replace(self, global_section=section)
        services = tuple(section if s.name == service else s for s in self.services)
        return replace(self, services=services)

    def _section(self, service: str | None) -> Section:
        return self.global_section if service is None else self.service(service)

    def set_option(self, service: str | None, name: str, value: str) -> StunnelConfig:
        """Set an option: the first occurrence keeps its place, later ones are dropped;
        a missing option is appended to the section."""
        spec = OPTIONS[name.lower()]
        section = self._section(service)
        out: list[Option] = []
        done = False
        for opt in section.options:
            if opt.key == spec.name.lower():
                if not done:
                    out.append(replace(opt, name=spec.name, value=value))
                    done = True
                continue
            out.append(opt)
        if not done:
            out.append(Option(spec.name, value, SourceLocation(self.path, 0)))
        return self._with_section(service, replace(section, options=tuple(out)))

    def remove_option(self, service: str | None, name: str) -> StunnelConfig:
        section = self._section(service)
        kept = tuple(opt for opt in section.options if opt.key != name.lower())
        return self._with_section(service, replace(section, options=kept))

    def map_values(self, service: str | None, name: str, fn: Callable[[str], str]) -> StunnelConfig:
        """Replace each value of a (repeatable) option by ``fn(value)``."""
        section = self._section(service)
        key = name.lower()
        opts = tuple(
            replace(opt, value=fn(opt.value)) if opt.key == key else opt for opt in section.options
        )
        return self._with_section(service, replace(section, options=opts))
