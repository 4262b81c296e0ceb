"""stunnel.conf text → :class:`StunnelConfig`, refusing what stunnel 5.68 refuses.

Grammar (as stunnel reads it): one directive a line; leading and trailing white space
ignored; empty lines and lines starting with ``;`` or ``#`` are comments; ``[name]``
starts a service section; anything else must be ``name = value``. Option names are
case-insensitive. Errors carry the file and line and read like stunnel's own, e.g.
``conf:5: "bogus = 1": Specified option name is not valid here``.
"""

from __future__ import annotations

from harness.errors import LocatedError, SourceLocation
from harness.stunnelconf.model import Option, Section, StunnelConfig
from harness.stunnelconf.options import OPTIONS, Scope, ValueError_, check_value


class ConfigError(LocatedError):
    """A stunnel.conf that stunnel would refuse (or that we cannot run)."""


def _looks_like_wrapped_value(line: str, previous: Option | None) -> bool:
    """The guide's PDF wraps long ``ciphers`` lists over several lines; a line without
    ``=`` that follows a value ending in ``-`` or ``:`` is such a continuation."""
    return previous is not None and previous.value.endswith(("-", ":")) and "=" not in line


def parse_config(text: str, *, path: str = "<string>", first_line: int = 1) -> StunnelConfig:
    """Parse stunnel.conf text.

    Args:
        text: the configuration.
        path: the file it came from (used in error messages).
        first_line: the file line of ``text``'s first line, for text embedded in a
            larger file (a scenario's YAML block).

    Raises:
        ConfigError: naming file, line and the offending line, for anything stunnel
            5.68 refuses while reading the file.
    """
    if text.startswith("\ufeff"):
        text = text[1:]  # stunnel skips a UTF-8 byte order mark
    global_opts: list[Option] = []
    services: list[Section] = []
    current: list[Option] = global_opts
    current_name: str | None = None
    current_loc = SourceLocation(path, first_line)
    comments: list[str] = []
    previous: Option | None = None

    def close_section() -> None:
        if current_name is not None:
            services.append(Section(current_name, tuple(current), current_loc))

    for index, raw in enumerate(text.splitlines()):
        loc = SourceLocation(path, first_line + index)
        line = raw.strip()
        if not line:
            continue
        if line[0] in ";#":
            comments.append(line)
            continue
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise ConfigError(loc, f'"{line}": Invalid service name')
            close_section()
            current_name = line[1:-1].strip()
            current = []
            current_loc = loc
            previous = None
            continue
        if "=" not in line:
            hint = ""
            if _looks_like_wrapped_value(line, previous):
                hint = (
                    " (this looks like the continuation of the previous line's value, "
                    "wrapped as in the guide's PDF: join it to that line)"
                )
            raise ConfigError(loc, f"\"{line}\": No '=' found{hint}")
        name, _, value = line.partition("=")
        name, value = name.strip(), value.strip()
        spec = OPTIONS.get(name.lower())
        if spec is None or (spec.scope is Scope.GLOBAL and current_name is not None):
            raise ConfigError(loc, f'"{line}": Specified option name is not valid here')
        try:
            check_value(spec, value)
        except ValueError_ as exc:
            raise ConfigError(loc, f'"{line}": {exc}') from None
        previous = Option(spec.name, value, loc)
        current.append(previous)
    close_section()
    return StunnelConfig(
        global_section=Section(None, tuple(global_opts), SourceLocation(path, first_line)),
        services=tuple(services),
        path=path,
        comments=tuple(comments),
    )


def decode_config(data: bytes, *, path: str, first_line: int = 1) -> str:
    """stunnel.conf bytes → text; a byte that is not UTF-8 is a ConfigError naming the
    file, the line and the column (stunnel itself passes such bytes on to OpenSSL as
    file names or cipher lists, where they fail later and less clearly).
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = first_line + data.count(b"\n", 0, exc.start)
        column = exc.start - line_start + 1
        raise ConfigError(
            SourceLocation(path, line),
            f"byte 0x{data[exc.start]:02X} at column {column} is not UTF-8 text "
            "(save the file as UTF-8 or ASCII)",
        ) from None


def parse_file(path: str) -> StunnelConfig:
    """Read and parse a stunnel.conf file (an unreadable file, or one that is not
    UTF-8 text, is a ConfigError with file and line)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise ConfigError(SourceLocation(path), f"cannot read: {exc.strerror}") from None
    return parse_config(decode_config(data, path=path), path=path)
