"""Every registered certify check, table-driven (tests/checks/certify_cases.py): rows
for each verdict a unit can give, the registries and the table agree, and certify's
judgement is the registries' fold."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import pytest

from harness.certify.catalogue import CLIENT_CHECKS, judge_client, judge_server, server_checks
from harness.certify.specs import BY_ID
from harness.checks.model import Verdict
from harness.profiles import load_profile
from tests.checks.certify_cases import (
    CANNOT,
    CASES,
    NO_CLIENT,
    NO_HANDSHAKE,
    OK,
    PLAINTEXT_FIX,
    UNREACHABLE,
    Case,
    cannot,
    client,
    problem,
    registry_for,
    server,
)

REQUIRED = (Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE)
FAMILIES = ("tls.cipher.required.", "cert.validity.chain-")
SHIPPED = ("stunnel-guide-2017", "fixs-1.0", "fixs-1.1", "fixs-cipherlist-2021.1")


def _registered() -> set[str]:
    """Every id registered in the registries built for the table's rows."""
    ids: set[str] = set()
    for case in CASES:
        ids |= set(registry_for(case.facts).ids)
    return ids


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_row(case: Case) -> None:
    assert problem(case) is None, problem(case)


def test_every_registered_certify_check_has_a_row_for_each_verdict_it_can_give() -> None:
    seen: dict[str, set[Verdict | None]] = defaultdict(set)
    for case in CASES:
        seen[case.id].add(case.verdict)
    missing = {
        cid: [v.value for v in REQUIRED if v not in seen[cid] and v not in cannot(cid)]
        for cid in sorted(_registered())
    }
    missing = {cid: vs for cid, vs in missing.items() if vs}
    assert not missing, f"registered certify checks without table rows: {missing}"
    # a unit that can only pass proves nothing: each has a row that is not a pass
    assert all(seen[cid] - {Verdict.PASS, None} for cid in _registered())


def test_exemptions_are_honest() -> None:
    registered = _registered()
    verdicts: dict[str, set[Verdict | None]] = defaultdict(set)
    for case in CASES:
        verdicts[case.id].add(case.verdict)
    for key, why in CANNOT.items():
        ids = [
            i for i in registered if i == key or (key.endswith((".", "-")) and i.startswith(key))
        ]
        assert ids, f"CANNOT names {key}, which is not registered"
        for cid in ids:
            clash = set(why) & verdicts[cid]
            assert not clash, f"{cid}: a row gives {clash}, which CANNOT says is impossible"


def test_every_shipped_profile_and_case_registers_only_ids_with_rows() -> None:
    rows = {c.id for c in CASES}
    for name in SHIPPED:
        profile = load_profile(name)
        for uc in (None, *profile.use_cases):
            facts = replace(OK, profile=profile, case=uc.id if uc else None, use_case=uc)
            for cid in server_checks(facts).ids:
                family = next((f for f in FAMILIES if cid.startswith(f)), None)
                ok = cid in rows or (family and any(r.startswith(family) for r in rows))
                assert ok, f"{name} {uc.id if uc else '-'}: {cid} has no table rows"


def test_every_row_names_a_registered_check() -> None:
    for case in CASES:
        assert case.id in registry_for(case.facts).ids, case.label


def test_every_spec_says_what_it_judges() -> None:
    for check in [*server_checks(OK), *CLIENT_CHECKS]:
        spec = check.spec
        assert spec.title and spec.judges, spec
        assert spec.rule == "requirement", spec  # certify: no recommendation kept a warning
        assert spec.id in BY_ID or spec.id.startswith(("tls.version.", *FAMILIES)), spec


def test_every_defining_check_of_the_shipped_profiles_is_registered() -> None:
    for name in SHIPPED:
        profile = load_profile(name)
        for uc in profile.use_cases:
            facts = replace(OK, profile=profile, case=uc.id, use_case=uc)
            registered = set(server_checks(facts).ids)
            assert {d.id for d in uc.defining_checks} <= registered, (name, uc.id)


# -- the fold: which checks a run reports, by how far the probes got --------------------------
def test_unreachable_reports_connect_only() -> None:
    assert [c.id for c in judge_server(UNREACHABLE)] == ["connect"]


def test_not_tls_reports_what_is_on_the_port_and_the_plaintext_probe() -> None:
    results = judge_server(PLAINTEXT_FIX)
    assert [c.id for c in results] == ["endpoint.tls", "fix.plaintext-refused"]
    assert {c.verdict for c in results} == {Verdict.FAIL}


def test_no_handshake_reports_the_hello_check_and_tls_handshake() -> None:
    ids = [c.id for c in judge_server(NO_HANDSHAKE)]
    assert ids == ["tls.server-hello.valid", "tls.handshake"]


def test_a_good_server_passes_every_reported_check_in_report_order() -> None:
    results = judge_server(OK)
    assert {c.verdict for c in results} == {Verdict.PASS, Verdict.NOT_APPLICABLE}, results
    ids = [c.id for c in results]
    assert ids[:2] == ["tls.server-hello.valid", "tls.server-flight.bounded"]
    assert ids[-1] == "fix.plaintext-refused"
    assert "cert.present" not in ids and "connect" not in ids


def test_the_client_fold() -> None:
    assert [c.id for c in judge_client(NO_CLIENT)] == ["client.connected"]
    results = judge_client(client())
    assert len(results) == len(CLIENT_CHECKS) - 1
    assert {c.verdict for c in results} == {Verdict.PASS}


def test_a_mutated_registry_changes_certify_judgement() -> None:
    """Negative control for 'judgement folds the registry': the fold uses the units."""
    facts = server(compression=1)
    assert {c.id: c.verdict for c in judge_server(facts)}["tls.compression.refused"] is (
        Verdict.FAIL
    )
    mutant = server_checks(facts).with_judge(
        "tls.compression.refused", lambda spec, f: spec.result(Verdict.PASS, "m", "m")
    )
    assert {c.id: c.verdict for c in mutant.evaluate(facts)}["tls.compression.refused"] is (
        Verdict.PASS
    )
