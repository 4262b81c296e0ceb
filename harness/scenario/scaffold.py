"""``fixs-harness init``: a certification project for one counterparty, ready for CI.

Layout written under DIR::

    DIR/
      README.md                    how to run it, what is in it
      pytest.ini                   so that ``pytest DIR`` runs the scenarios
      conftest.py                  the counterparty's name in pytest's header
      profiles/<counterparty>.yaml a copy of the base profile, to adapt
      scenarios/<case>...yaml      the chosen guide cases and their negative controls
      scenarios/rehearsal.yaml     (with --client-conf/--server-conf) the user's files

The scenarios are copies of the shipped ones (the guide's use cases and the
negative controls that must fail for the same case), with ``profile:`` pointing at
the project's profile copy when they used the base profile. A scenario file names
its profile relative to itself, so the project runs from any directory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

#: Case → (positive scenarios, negative controls), paths under the shipped scenarios/.
CASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "1a": (
        ("guide/1a-mutual-leaf-pinning.yaml",),
        ("negative/no-client-certificate.yaml", "negative/unpinned-client-certificate.yaml"),
    ),
    "1b": (
        ("guide/1b-mutual-ca-chain.yaml",),
        ("negative/server-certificate-unrelated-ca.yaml",),
    ),
    "2": (
        ("guide/2-psk.yaml",),
        ("negative/wrong-psk-key.yaml", "negative/unknown-psk-identity.yaml"),
    ),
    "3a": (
        ("guide/3a-fix-credentials.yaml", "guide/3a-fix-credentials-rawdata.yaml"),
        ("negative/bad-fix-password.yaml",),
    ),
    "3b": (
        ("guide/3b-fix-credentials.yaml", "guide/3b-fix-credentials-rawdata.yaml"),
        (
            "negative/checkip-mismatch.yaml",
            "negative/expired-server-certificate.yaml",
            "negative/revoked-server-certificate.yaml",
        ),
    ),
}
#: Negative controls of the profile itself (version, suites), for every project.
PROFILE_NEGATIVES = (
    "negative/client-tls11-only.yaml",
    "negative/client-suite-outside-profile.yaml",
)


def shipped_scenarios_dir() -> Path:
    """The shipped scenarios/ (beside the package in a clone or an editable install).

    Raises:
        HarnessError: not found (an installation without the repository's files).
    """
    here = Path(__file__).resolve().parents[2] / "scenarios"
    if (here / "guide").is_dir():
        return here
    raise HarnessError(
        f"the shipped scenarios are not at {here}: install fixs-harness from a clone "
        "(pip install -e .) to use init"
    )


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.").lower()
    if not slug:
        raise HarnessError(f"--counterparty {name!r} gives an empty file name")
    return slug


@dataclass(frozen=True)
class Scaffold:
    """What ``init`` wrote (paths relative to the project directory)."""

    directory: Path
    files: tuple[str, ...]


def init_project(
    directory: Path,
    counterparty: str,
    *,
    cases: tuple[str, ...] = ("1a", "1b", "2", "3a", "3b"),
    profile: str = "stunnel-guide-2017",
    client_conf: str | None = None,
    server_conf: str | None = None,
    sender: str = "US",
    target: str | None = None,
    force: bool = False,
) -> Scaffold:
    """Write the project; see the module docstring for the layout.

    Raises:
        HarnessError: unknown case, a non-empty directory without ``force``, an
            unknown profile, conf files that do not make a rehearsal scenario.
    """
    from harness.profiles import load_profile
    from harness.profiles.loader import _builtin_dir

    unknown = [c for c in cases if c not in CASES]
    if unknown:
        raise HarnessError(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    if (client_conf is None) != (server_conf is None):
        raise HarnessError("give --client-conf and --server-conf together")
    if directory.exists() and any(directory.iterdir()) and not force:
        raise HarnessError(f"{directory} is not empty (use --force to write into it)")
    base = load_profile(profile)
    slug = _slug(counterparty)
    source = shipped_scenarios_dir()
    written: list[str] = []

    def write(rel: str, text: str) -> None:
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(rel)

    # the profile copy: a file for a file profile, the built-in's text otherwise
    builtin = _builtin_dir() / f"{profile}.yaml"
    profile_text = (builtin if builtin.is_file() else Path(profile)).read_text(encoding="utf-8")
    profile_text = re.sub(r"^name: .*$", f"name: {slug}", profile_text, count=1, flags=re.MULTILINE)
    profile_rel = f"profiles/{slug}.yaml"
    write(
        profile_rel,
        f"# {counterparty}'s policy: a copy of {base.name}; adapt it to what they require\n"
        "# (TLS versions, suites, PSK key length). Schema: docs/profiles.md.\n" + profile_text,
    )
    chosen: list[str] = []
    for case in cases:
        positives, negatives = CASES[case]
        chosen.extend(positives + negatives)
    chosen.extend(PROFILE_NEGATIVES)
    for rel in dict.fromkeys(chosen):
        text = (source / rel).read_text(encoding="utf-8")
        text = re.sub(
            rf"^profile: {re.escape(base.name)}\s*$",
            f"profile: ../../{profile_rel}",
            text,
            count=1,
            flags=re.MULTILINE,
        )
        write(f"scenarios/{rel}", text)
    if client_conf is not None and server_conf is not None:
        written.append(
            _rehearsal_scenario(
                directory, client_conf, server_conf, sender, target or slug.upper(), profile_rel
            )
        )
    write(
        "pytest.ini",
        f"[pytest]\n# fixs-harness certification project: {counterparty}\n"
        "testpaths = scenarios\n"
        "addopts = -ra -p no:cacheprovider\n",
    )
    write(
        "conftest.py",
        f'"""fixs-harness project for {counterparty}: the plugin (installed with\n'
        'fixs-harness) collects every scenario under scenarios/ as pytest items."""\n\n\n'
        "def pytest_report_header() -> str:\n"
        f'    return "fixs-harness project: {counterparty}"\n',
    )
    write("README.md", _readme(counterparty, cases, profile_rel, client_conf is not None))
    return Scaffold(directory, tuple(written))


def _rehearsal_scenario(
    directory: Path,
    client_conf: str,
    server_conf: str,
    sender: str,
    target: str,
    profile_rel: str,
) -> str:
    from harness.runner.rehearse import ConfRef, SessionSpec, rehearsal_scenario
    from harness.scenario.from_conf import scenario_yaml

    client, server = ConfRef.parse(client_conf), ConfRef.parse(server_conf)
    out_dir = directory / "scenarios"
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = SessionSpec("FIX.4.4", sender, target, 30)
    scenario = rehearsal_scenario(client, server, spec)
    auth = scenario.expect.auth.outcome if scenario.expect.auth else None
    text = scenario_yaml(
        scenario_id="rehearsal",
        title=f"Rehearsal: {client} against {server}",
        client=client.path,
        client_section=client.section,
        server=server.path,
        server_section=server.section,
        out_dir=out_dir,
        sender=sender,
        target=target,
        begin_string="FIX.4.4",
        heartbeat_s=30,
        auth=auth,
        profile=f"../{profile_rel}",
        orders=3,
    )
    (out_dir / "rehearsal.yaml").write_text(text, encoding="utf-8")
    return "scenarios/rehearsal.yaml"


def _readme(counterparty: str, cases: tuple[str, ...], profile_rel: str, rehearsal: bool) -> str:
    lines = [
        f"# FIX over TLS certification: {counterparty}",
        "",
        "Written by `fixs-harness init`. Run it:",
        "",
        "    pytest .                                  # every scenario, on the four local pairs",
        "    pytest . --fixs-report-dir reports        # ... and write JSON/JUnit/HTML/Markdown",
        "    pytest . --fixs-pair python:python        # one pair only",
        "    fixs-harness run scenarios --local-pairs  # the same from the harness's CLI",
        "",
        "Default pairs: python:python, python:stunnel-local, stunnel-local:python,",
        "stunnel-local:stunnel-local (a backend that cannot run here is a skip; under",
        "`CI=true` it is a failure). `--fixs-matrix` adds the stunnel 5.56/5.68/5.74 images.",
        "",
        "## What is here",
        "",
        f"- `{profile_rel}`: the policy the checks apply, a copy to adapt to what",
        f"  {counterparty} requires (TLS versions, suites, PSK key length).",
        f"- `scenarios/guide/`: the guide's use cases {', '.join(cases)}; each must pass.",
        "- `scenarios/negative/`: the negative controls for those cases; each states the",
        "  refusal it must see (alert, side) and passes only when the refusal happens.",
    ]
    if rehearsal:
        lines.append(
            "- `scenarios/rehearsal.yaml`: your own stunnel.conf files (`stunnel_file:`);"
            " paths in them resolve against each file's directory."
        )
    lines += [
        "",
        "Replace the embedded stunnel sections with your own (`stunnel_file: path`,",
        "relative to the scenario) as you converge on the go-live configuration; see",
        "the harness's docs/scenarios.md and docs/rehearse.md.",
        "",
    ]
    return "\n".join(lines)
