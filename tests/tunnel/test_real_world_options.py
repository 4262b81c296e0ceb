"""Options real stunnel.conf files carry, implemented in the Python tunnel and shown on
the wire through real tunnels (python, and stunnel-local beside it for parity).

``options = CIPHER_SERVER_PREFERENCE`` must make the server's order win: the same
scenario without it (the control) negotiates the client's first choice. ``options =
NO_TLSv1_2`` must refuse a TLS 1.2-only client; without it the handshake completes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.backends.stunnel_local import LocalStunnelBackend
from harness.errors import LocatedError
from harness.runner.pairs import BackendPair
from harness.runner.run import Runner, collect
from harness.stunnelconf import ConfigError, parse_config, resolve
from harness.stunnelconf.options import SSL_OPTIONS

PAIRS = [BackendPair("python", "python")]
if LocalStunnelBackend().check().ok:
    PAIRS += [BackendPair("stunnel-local", "python"), BackendPair("python", "stunnel-local")]

SCENARIO = """\
id: {id}
title: server cipher preference
tunnels:
  server:
    stunnel: |
      [s]
      accept = 7777
      connect = 3003
      cert = {{pki.server_rsa.pem}}
      ciphers = ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384
      sslVersion = TLSv1.2
{server_extra}  client:
    stunnel: |
      [c]
      client = yes
      accept = 2002
      connect = 10.0.0.1:7777
      verifyChain = yes
      CAfile = {{pki.root}}
      ciphers = ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256
      sslVersion = TLSv1.2
fix:
  sender_comp_id: A
  target_comp_id: B
expect:
{expect}"""

ACCEPTED = "  tls:\n    cipher: {code}\n  fix:\n    logon: accepted\n  messages: 1\n"
REFUSED = (
    "  auth:\n    outcome: handshake-refused\n    alert: protocol_version\n    refused_by: server\n"
)


def _run(tmp_path: Path, files: dict[str, str]) -> dict[tuple[str, str], tuple[str, str | None]]:
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    items = collect([tmp_path / f"{n}.yaml" for n in files], PAIRS)
    run = Runner(tmp_path / "out", capture="tap").run(items)
    return {(r.scenario_id, r.backend_pair): (r.verdict.value, r.error) for r in run.results}


def test_cipher_server_preference_on_the_wire(tmp_path: Path) -> None:
    extra = "      options = CIPHER_SERVER_PREFERENCE\n"
    results = _run(
        tmp_path,
        {
            "pref": SCENARIO.format(
                id="pref", server_extra=extra, expect=ACCEPTED.format(code="0xC02F")
            ),
            "control": SCENARIO.format(
                id="control", server_extra="", expect=ACCEPTED.format(code="0xC030")
            ),
        },
    )
    assert set(results.values()) == {("pass", None)}, results


def test_no_tls12_refuses_a_tls12_client(tmp_path: Path) -> None:
    # the server speaks TLS 1.2 and 1.3 less what the option removes: 1.3 only; the
    # TLS 1.2-only client must get protocol_version (a server with no version left
    # at all would close before reading, which proves nothing)
    extra = "      options = NO_TLSv1_2\n"
    server_range = "      sslVersionMin = TLSv1.2\n"
    results = _run(
        tmp_path,
        {
            "notls12": SCENARIO.format(id="notls12", server_extra=extra, expect=REFUSED).replace(
                "      sslVersion = TLSv1.2\n", server_range, 1
            ),
            "control12": SCENARIO.format(
                id="control12", server_extra="", expect=ACCEPTED.format(code="0xC030")
            ),
        },
    )
    assert set(results.values()) == {("pass", None)}, results


def test_option_names_and_values_as_stunnel_reads_them() -> None:
    base = "[s]\naccept = 1\nconnect = 2\ncert = x.pem\n"
    with pytest.raises(ConfigError) as err:
        parse_config(base + "options = NO_TLSv1.1\n", path="t.conf")
    assert str(err.value) == 't.conf:5: "options = NO_TLSv1.1": Illegal TLS option'
    svc = resolve(
        parse_config(
            base
            + "options = NO_SSLv2\noptions = single_dh_use\noptions = -NO_TICKET\n"
            + "sessionCacheTimeout = 77\nsessionCacheSize = 5\ndelay = yes\nretry = no\n"
        )
    ).services[0]
    assert svc.ssl_options == ((True, "NO_SSLv2"), (True, "SINGLE_DH_USE"), (False, "NO_TICKET"))
    assert (svc.session_cache_timeout, svc.session_cache_size, svc.delay) == (77, 5, True)
    assert SSL_OPTIONS["NO_SSLv2"] == 0 and SSL_OPTIONS["CIPHER_SERVER_PREFERENCE"] == 1 << 22


def test_python_tunnel_applies_options_and_cache_timeout(tmp_path: Path) -> None:
    from harness.pki import TestPKI
    from harness.tunnel.log import StunnelLog
    from harness.tunnel.tlsctx import ServiceTLS, _lib

    pki = TestPKI.create(tmp_path / "pki")
    text = (
        f"[s]\naccept = 1\nconnect = 2\ncert = {pki.leaf('server-rsa').pem_path}\n"
        "options = NO_TICKET\noptions = CIPHER_SERVER_PREFERENCE\nsessionCacheTimeout = 77\n"
    )
    svc = resolve(parse_config(text)).services[0]
    tls = ServiceTLS(svc, StunnelLog(level=0))
    opts = int(_lib.SSL_CTX_get_options(tls.ctx._context))
    assert opts & SSL_OPTIONS["NO_TICKET"] and opts & SSL_OPTIONS["CIPHER_SERVER_PREFERENCE"]
    assert tls.ctx.get_timeout() == 77
    # control: without the lines, neither option is on
    plain = resolve(parse_config(text.split("options")[0])).services[0]
    opts = int(_lib.SSL_CTX_get_options(ServiceTLS(plain, StunnelLog(level=0)).ctx._context))
    assert not opts & SSL_OPTIONS["CIPHER_SERVER_PREFERENCE"]
    # clearing an option that is on cannot be done here: refused, never ignored
    cleared = resolve(parse_config(text + "options = -NO_SSLv3\n")).services[0]
    with pytest.raises(LocatedError) as err:
        ServiceTLS(cleared, StunnelLog(level=0))
    assert "options = -NO_SSLv3" in err.value.message


def test_docs_option_table_is_current() -> None:
    from harness.stunnelconf.options import option_status_table

    doc = (Path(__file__).resolve().parents[2] / "docs" / "tunnel.md").read_text()
    start = doc.index("<!-- option-table:start -->\n") + len("<!-- option-table:start -->\n")
    end = doc.index("<!-- option-table:end -->")
    assert doc[start:end] == option_status_table()


def test_crlfile_without_a_crl_is_refused_as_stunnel_refuses_it(tmp_path: Path) -> None:
    """stunnel 5.68: 'Failed to load ... revocation lookup file'; on main --check
    accepted it. The control: the PKI's real CRL file is accepted."""
    from harness.cli import main
    from harness.pki import TestPKI

    pki = TestPKI.create(tmp_path / "pki")
    empty = tmp_path / "empty.crl"
    empty.write_text("")
    conf = tmp_path / "c.conf"
    base = (
        "[c]\nclient = yes\naccept = 127.0.0.1:0\nconnect = 127.0.0.1:9\n"
        f"verifyChain = yes\nCAfile = {pki.root_ca_path}\nCRLfile = "
    )
    conf.write_text(base + f"{empty}\n")
    assert main(["tunnel", "--check", str(conf)]) == 2
    conf.write_text(base + f"{pki.crl_path}\n")
    assert main(["tunnel", "--check", str(conf)]) == 0
