"""Rewriting a user's or the guide's stunnel.conf so that it runs here, on loopback.

The harness never sends traffic off the machine: every ``accept`` becomes
``127.0.0.1:0`` (an ephemeral port, read back from the ``bound to`` log line), every
``connect`` goes to the address the runner chose, ``checkIP`` values that named the
real peer are mapped to the loopback address standing for it, and file paths are
mapped to generated fixtures. Options that would stop a test run from owning the
process (``setuid``, ``setgid``, ``chroot``, ``pid``, ``foreground = no``,
``output``, ``syslog``) are replaced by what the backend needs; what was removed is
reported, so nothing changes silently.

:data:`PROCESS_GLOBALS` is the one list of the global options the runner owns;
:func:`own_process` applies it as every stunnel backend runs stunnel (the stunnel
manager, :mod:`harness.backends.stunnel_process`, calls it for stunnel-local and
stunnel-docker alike), and :func:`rewrite` takes the log level too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from harness.stunnelconf.model import StunnelConfig

#: Global options that decide where the stunnel process runs and where its log goes:
#: the runner owns them, whatever runs stunnel (see :func:`own_process`).
PROCESS_GLOBALS = ("setuid", "setgid", "chroot", "pid", "foreground", "output", "syslog")
#: Global options :func:`rewrite` takes over: the process globals and the log level.
RUNNER_OWNED = (*PROCESS_GLOBALS, "debug")
PATH_OPTIONS = ("cert", "key", "CAfile", "CApath", "CRLfile", "CRLpath", "PSKsecrets")


@dataclass(frozen=True)
class Rewrite:
    """What to change. ``connect`` maps a service name to its new target."""

    connect: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    paths: Mapping[str, str] = field(default_factory=dict)
    ips: Mapping[str, str] = field(default_factory=dict)
    accept_host: str = "127.0.0.1"
    debug: str = "info"


@dataclass(frozen=True)
class RewriteResult:
    config: StunnelConfig
    notes: tuple[str, ...]


#: Options the runner removes from service sections (process identity and logging).
SERVICE_RUNNER_OWNED = ("setuid", "setgid", "debug")


def rewrite(config: StunnelConfig, spec: Rewrite) -> RewriteResult:
    """Apply ``spec`` to every section (global defaults included)."""
    notes: list[str] = []
    out = config
    for section in (config.global_section, *config.services):
        owned = RUNNER_OWNED if section.name is None else SERVICE_RUNNER_OWNED
        for opt in section.options:
            if opt.name in owned and opt.name != "debug":
                notes.append(f"{opt.location}: removed '{opt.render()}' (the runner owns it)")
        for name in owned:
            out = out.remove_option(section.name, name)
    for section_name in [None, *config.service_names]:
        for opt_name in PATH_OPTIONS:
            out = out.map_values(section_name, opt_name, lambda v: spec.paths.get(v, v))
        out = out.map_values(section_name, "checkIP", lambda v: spec.ips.get(v, v))
        if section_name is None:
            continue
        if out.service(section_name).get("accept") is not None:
            out = out.set_option(section_name, "accept", f"{spec.accept_host}:0")
        target = spec.connect.get(section_name)
        if target is not None:
            # with protocol = connect this is the proxy; protocolHost names the peer
            out = out.set_option(section_name, "connect", f"{target[0]}:{target[1]}")
    out = out.set_option(None, "foreground", "yes")
    out = out.set_option(None, "debug", spec.debug)
    out = out.set_option(None, "syslog", "no")
    return RewriteResult(out, tuple(notes))


def own_process(config: StunnelConfig, *, debug: str = "info") -> RewriteResult:
    """Take over the process globals, as every stunnel backend runs stunnel.

    The :data:`PROCESS_GLOBALS` of the global section are removed (each noted with
    its file and line) and replaced by ``foreground = yes`` (log to stderr, which the
    backend captures), ``syslog = no`` and ``pid =`` (no pid file). The config's own
    ``debug`` level is kept; without one, ``debug`` is set (``info``: the level of
    the negotiated-parameter lines). Service sections are left as they are (stunnel
    itself refuses a global option there, in its own words).
    """
    owned = {"foreground": "yes", "syslog": "no", "pid": ""}
    notes = [
        f"{opt.location}: removed '{opt.render()}' (the runner owns it)"
        for opt in config.global_section.options
        if opt.key in PROCESS_GLOBALS and owned.get(opt.key) != opt.value
    ]
    out = config
    for name in PROCESS_GLOBALS:
        out = out.remove_option(None, name)
    for name, value in owned.items():
        out = out.set_option(None, name, value)
    if config.global_section.get("debug") is None:
        out = out.set_option(None, "debug", debug)
    return RewriteResult(out, tuple(notes))
