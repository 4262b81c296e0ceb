"""stunnel.conf model: parse, semantics (5.68), render; errors with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.stunnelconf import ConfigError, parse_config, parse_psk_secrets, resolve
from harness.stunnelconf.options import OPTIONS
from harness.stunnelconf.rewrite import Rewrite, rewrite

GUIDE = Path(__file__).resolve().parents[2] / "fixtures" / "guide"
GUIDE_CIPHERS = (
    "DHE-RSA-AES128-SHA256:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA256:"
    "DHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-SHA256:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-GCM-SHA384"
)


@pytest.mark.parametrize("path", sorted(GUIDE.glob("*.conf")), ids=lambda p: p.stem)
def test_guide_sections_parse_and_resolve(path: Path) -> None:
    config = parse_config(path.read_text(), path=str(path))
    resolved = resolve(config)
    (svc,) = resolved.services
    assert svc.name in ("fix-server", "fix-client")
    assert svc.client is (svc.name == "fix-client")
    # render → parse is a fixed point
    again = parse_config(config.render())
    assert again.render() == config.render()


def test_case_1a_server_semantics() -> None:
    svc = resolve(parse_config((GUIDE / "1-server.conf").read_text())).services[0]
    assert svc.verify_peer and not svc.verify_chain
    assert svc.request_cert and svc.require_cert  # implied by verifyPeer
    assert svc.version_min == svc.version_max == 0x0303
    assert svc.ciphers == GUIDE_CIPHERS
    assert svc.accept[0].render() == "0.0.0.0:7777"
    assert svc.socket_option("l", "TCP_NODELAY") == "1"  # stunnel's defaults
    assert svc.socket_option("r", "TCP_NODELAY") == "1"


def test_option_order_require_cert_after_verify() -> None:
    text = "[s]\naccept = 1\nconnect = 2\ncert = c.pem\nCAfile = ca\nverifyPeer = yes\nrequireCert = no\n"
    svc = resolve(parse_config(text)).services[0]
    assert svc.verify_peer and svc.request_cert and not svc.require_cert
    text2 = "[s]\naccept = 1\nconnect = 2\ncert = c.pem\nCAfile = ca\nrequireCert = no\nverifyPeer = yes\n"
    assert resolve(parse_config(text2)).services[0].require_cert


def test_global_section_gives_defaults_and_services_override() -> None:
    text = "sslVersion = TLSv1.2\nciphers = PSK\n[a]\nclient = yes\naccept = 1\nconnect = 2\n[b]\nclient = yes\naccept = 3\nconnect = 4\nsslVersionMax = TLSv1.3\n"
    a, b = resolve(parse_config(text)).services
    assert a.version_min == a.version_max == 0x0303 and a.ciphers == "PSK"
    assert b.version_min == 0x0303 and b.version_max == 0x0304


def test_defaults_when_unset() -> None:
    svc = resolve(parse_config("[c]\nclient = yes\naccept = 1\nconnect = 2\n")).services[0]
    assert svc.ciphers == "HIGH:!aNULL:!SSLv2:!DH:!kDHEPSK"
    assert svc.version_min is None and svc.version_max is None
    assert not svc.request_cert


def test_option_names_are_case_insensitive_and_canonicalised() -> None:
    config = parse_config("[c]\nCLIENT = yes\naccept = 1\nConnect = 2\ncafile = x\n")
    assert [o.name for o in config.services[0].options] == ["client", "accept", "connect", "CAfile"]


def test_every_option_has_a_kind() -> None:
    assert len(OPTIONS) > 90
    for name in (
        "connect",
        "accept",
        "protocolHost",
        "PSKsecrets",
        "OCSPaia",
        "securityLevel",
        "engine",
    ):
        assert name.lower() in OPTIONS


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("[s]\naccept = 1\nbogus = 1\n", 3, '"bogus = 1": Specified option name is not valid here'),
        (
            "[s]\nclient = maybe\n",
            2,
            "\"client = maybe\": The argument needs to be either 'yes' or 'no'",
        ),
        ("[s]\nsslVersion = TLSv1.9\n", 2, '"sslVersion = TLSv1.9": Invalid protocol version'),
        ("[s]\nsocket = l:TCP_FOO=1\n", 2, '"socket = l:TCP_FOO=1": Illegal socket option'),
        ("[s]\nengine = capi\n", 2, '"engine = capi": Specified option name is not valid here'),
        ("[s]\nfoo\n", 2, "\"foo\": No '=' found"),
        ("; c\n\n[s]\nciphers = DHE-RSA-\nAES256-SHA256\n", 5, "looks like the continuation"),
        ("[s]\nsecurityLevel = 9\n", 2, "Invalid security level"),
        ("[s]\ndebug = loud\n", 2, "Illegal debug argument"),
    ],
)
def test_parse_errors_name_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config(text, path="x.conf")
    assert exc.value.location.path == "x.conf"
    assert exc.value.location.line == line
    assert message in str(exc.value)
    assert str(exc.value).startswith(f"x.conf:{line}: ")


def test_embedded_text_reports_the_outer_file_line() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config("[s]\nbogus = 1\n", path="scenario.yaml", first_line=40)
    assert str(exc.value).startswith("scenario.yaml:41: ")


@pytest.mark.parametrize(
    ("text", "option", "message"),
    [
        (
            "[s]\nclient = yes\naccept = 1\nconnect = 2\ncheckIP = 1.2.3.4\n",
            5,
            'Either "verifyChain" or "verifyPeer" has to be enabled',
        ),
        (
            "[s]\nclient = yes\naccept = 1\nconnect = 2\nverifyChain = yes\n",
            5,
            'Either "CAengine", "CAfile" or "CApath" has to be configured',
        ),
        ("[s]\naccept = 1\nconnect = 2\n", 2, "TLS server needs a certificate"),
        ("[s]\nclient = yes\naccept = 1\n", 0, "Each service must define two endpoints"),
        (
            "[s]\nclient = yes\naccept = 1\nconnect = 2\nsslVersionMin = TLSv1.3\nsslVersionMax = TLSv1.2\n",
            5,
            "Invalid protocol version range",
        ),
    ],
)
def test_startup_checks(text: str, option: int, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        resolve(parse_config(text, path="y.conf"))
    assert message in str(exc.value)
    assert "Service [s]" in str(exc.value)
    if option:
        assert exc.value.location.line == option


def test_psk_secrets_hex_and_ascii() -> None:
    entries = parse_psk_secrets(
        "a:0123456789abcdef0123456789abcdef\nb:not-hex-but-long-enough-key\n"
    )
    assert entries[0].hex_decoded and len(entries[0].key) == 16
    assert not entries[1].hex_decoded and entries[1].key == b"not-hex-but-long-enough-key"
    # stunnel 5.41-5.50: every key is ASCII
    old = parse_psk_secrets("a:0123456789abcdef0123456789abcdef\n", hex_keys=False)
    assert not old[0].hex_decoded and len(old[0].key) == 32
    # the key never shows in the repr
    assert "0123" not in repr(entries[0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id1:short\n", "Key shorter than 16 bytes"),
        ("nocolon\n", "Not in identity:key format"),
        ("id:aaaaaaaaaaaaaaaaaaaaa\n\n#c\n", "line 3: Not in identity:key format"),
        ("x" * 128 + ":aaaaaaaaaaaaaaaaaaaaaaaaa\n", "Identity longer than 127"),
        ("\n", "no identity:key line"),
    ],
)
def test_psk_secrets_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_psk_secrets(text, path="psk.txt")
    assert message in str(exc.value)
    assert "aaaa" not in str(exc.value)


def test_rewrite_to_loopback() -> None:
    config = parse_config((GUIDE / "3b-client.conf").read_text())
    out = rewrite(
        config,
        Rewrite(
            connect={"fix-client": ("127.0.0.1", 4000)},
            paths={"/etc/ssl/certs/ca-chain.cert.pem": "/tmp/x/chain.pem"},
            ips={"192.168.153.32": "127.0.0.1"},
        ),
    ).config
    svc = resolve(out).services[0]
    assert svc.accept[0].render() == "127.0.0.1:0"
    assert svc.connect[0].render() == "127.0.0.1:4000"
    assert svc.ca_file == "/tmp/x/chain.pem"
    assert svc.check_ip == ("127.0.0.1",)
    assert all(a.is_loopback() for a in (*svc.accept, *svc.connect))
    g = out.global_section
    assert g.value("foreground") == "yes" and g.value("debug") == "info"


def test_rewrite_drops_privilege_options_with_a_note() -> None:
    config = parse_config(
        "setuid = nobody\nchroot = /var/empty\npid = /x.pid\n[c]\nclient = yes\naccept = 2002\nconnect = 10.0.0.1:7777\n"
    )
    result = rewrite(config, Rewrite(connect={"c": ("127.0.0.1", 9)}))
    assert result.config.global_section.get("setuid") is None
    assert result.config.global_section.get("chroot") is None
    assert len(result.notes) == 3
