"""Placeholder values for a test PKI: the bridge between scenario text and PKI files.

The runner materialises a :class:`harness.pki.TestPKI` and calls
:func:`pki_placeholder_values` to get every ``pki.*`` and ``psk.*`` value a scenario
may use. Leaf names use ``_`` where the PKI's file names use ``-``
(``server-rsa`` → ``{pki.server_rsa.pem}``), because a placeholder reads like an
attribute path.

| placeholder | file |
|---|---|
| ``{pki.LEAF.pem}`` | chain + key in one file (the guide's ``cert = stunnel.pem``) |
| ``{pki.LEAF.crt}`` / ``{pki.LEAF.key}`` | chain alone / key alone (``cert =`` + ``key =``) |
| ``{pki.LEAF.pin}`` | the leaf alone: the peer's ``CAfile`` for ``verifyPeer`` |
| ``{pki.ca_chain}`` | intermediate + root, ``CAfile`` for ``verifyChain`` |
| ``{pki.root}`` / ``{pki.other_ca}`` | a single trust anchor / an unrelated CA |
| ``{pki.capath}`` / ``{pki.crl}`` / ``{pki.crl_dir}`` | ``CApath`` dir / ``CRLfile`` / ``CRLpath`` |
| ``{psk.secrets}`` | the shared ``PSKsecrets`` file |
| ``{psk.wrong_key}`` | same identities, other keys |
| ``{psk.unknown_identity}`` | a file whose only identity the server does not list |
| ``{psk.identity}`` / ``{psk.unlisted_identity}`` | the first identity / the unlisted one |
"""

from __future__ import annotations

from pathlib import Path

from harness.pki import TestPKI


def _abs(path: Path) -> str:
    # the run's PKI may live under a relative report directory; a relative value
    # would later be resolved against the scenario file's directory, not the cwd
    return str(path.absolute())


def pki_placeholder_values(pki: TestPKI) -> dict[str, str]:
    """Every ``pki.*`` / ``psk.*`` placeholder value for ``pki`` (absolute paths)."""
    values: dict[str, str] = {}
    for name, leaf in pki.leaves.items():
        key = name.replace("-", "_")
        values[f"pki.{key}.pem"] = _abs(leaf.pem_path)
        values[f"pki.{key}.crt"] = _abs(leaf.cert_path)
        values[f"pki.{key}.key"] = _abs(leaf.key_path)
        values[f"pki.{key}.pin"] = _abs(leaf.pin_path)
    values.update(
        {
            "pki.ca_chain": _abs(pki.chain_path),
            "pki.root": _abs(pki.root_ca_path),
            "pki.other_ca": _abs(pki.other_ca.cert_path),
            "pki.capath": _abs(pki.capath_dir),
            "pki.crl": _abs(pki.crl_path),
            "pki.crl_dir": _abs(pki.crl_dir),
            "psk.secrets": _abs(pki.psk.path),
            "psk.wrong_key": _abs(pki.psk.wrong_key_path),
            "psk.unknown_identity": _abs(pki.psk.unknown_identity_path),
            "psk.identity": pki.psk.identities[0],
            "psk.unlisted_identity": pki.psk.unknown_identity,
        }
    )
    return values
