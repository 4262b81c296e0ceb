"""What the Python tunnel implements of stunnel.conf, checked before it starts.

stunnel accepts options the Python tunnel does not implement (``exec``, ``redirect``,
protocols other than ``connect``, engines, ...). Running without them would silently
change behaviour, so they are refused with a clear "unsupported" error naming the file
and line; the stunnel backends run such configs unchanged.
"""

from __future__ import annotations

from harness.stunnelconf import ConfigError, ResolvedConfig, StunnelConfig
from harness.stunnelconf.options import OPTIONS
from harness.tunnel.proxy import _SOCKOPTS

_HINT = "use the stunnel-local or stunnel-docker backend for it"


def check_supported(config: StunnelConfig | ResolvedConfig) -> None:
    """Raise ConfigError for the first option the Python tunnel cannot honour."""
    source = config.source if isinstance(config, ResolvedConfig) else config
    sections = [source.global_section, *source.services]
    for section in sections:
        for opt in section.options:
            spec = OPTIONS[opt.key]
            where = f"[{section.name}]" if section.name else "the global section"
            if opt.key == "engine":
                detail = (
                    "engine = capi is the Windows CryptoAPI engine; it is not available "
                    "on this platform (stunnel on Linux fails with 'Failed to open the engine')"
                    if opt.value.lower() == "capi"
                    else "crypto engines are not supported"
                )
                raise ConfigError(opt.location, f'"{opt.render()}": unsupported: {detail}')
            if not spec.python:
                raise ConfigError(
                    opt.location,
                    f'"{opt.render()}": unsupported by the Python tunnel '
                    f"(stunnel accepts it in {where}; {_HINT})",
                )
            if opt.key == "protocol" and opt.value.lower() != "connect":
                raise ConfigError(
                    opt.location,
                    f'"{opt.render()}": unsupported by the Python tunnel: only '
                    f"protocol = connect is implemented ({_HINT})",
                )
            if opt.key == "protocolauthentication" and opt.value.lower() != "basic":
                raise ConfigError(
                    opt.location,
                    f'"{opt.render()}": unsupported by the Python tunnel: only basic '
                    "proxy authentication is implemented",
                )
            value = opt.value.strip().lower()
            refused_value = {
                "libwrap": ("yes", "TCP wrappers (libwrap = yes) are not consulted"),
                "failover": ("rr", "failover = rr (round robin) is not implemented; prio is"),
            }.get(opt.key)
            if refused_value is not None and value == refused_value[0]:
                raise ConfigError(
                    opt.location,
                    f'"{opt.render()}": unsupported by the Python tunnel: {refused_value[1]}',
                )
            if opt.key == "logid" and value != "sequential":
                raise ConfigError(
                    opt.location,
                    f'"{opt.render()}": unsupported by the Python tunnel: only logId = '
                    "sequential (the default) is implemented",
                )
            if opt.key == "socket":
                name = opt.value.split(":", 1)[1].split("=", 1)[0].upper()
                if name not in _SOCKOPTS and name != "SO_LINGER":
                    raise ConfigError(
                        opt.location,
                        f'"{opt.render()}": unsupported by the Python tunnel: socket option {name}',
                    )
    if isinstance(config, ResolvedConfig):
        for svc in config.services:
            if svc.protocol == "connect" and not svc.client:
                raise ConfigError(
                    svc.where("protocol"),
                    f"Service [{svc.name}]: protocol = connect is a client-side protocol",
                )
