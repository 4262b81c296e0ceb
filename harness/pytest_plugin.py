"""pytest plugin (entry point ``pytest11``): scenario files as test items.

Collection rule (the same inside and outside this repository): a ``.yaml``/``.yml``
file is a scenario when

1. it is named on the command line (``pytest my.yaml``, ``pytest my.yaml::id``), or
2. it lies under a directory named ``scenarios`` (``pytest DIR`` of an ``init``
   project, ``pytest scenarios/``), or
3. ``--fixs`` is given (then every YAML file pytest meets is a scenario).

Each becomes one item per scenario variant × backend pair. An item runs the scenario through the
harness runner; a failed check fails the item with the scenario file and line, the
check id, expected vs observed, the guide section and the pcap path. An
inconclusive result fails the item too (a check that could not run is never a
pass). A malformed scenario fails only its own item, with file:line. A backend that
cannot run here is a skip, except when the environment says ``CI=true``: then it is
a failure, so that a green CI means the real thing ran.

Default pairs (inside and outside the repository alike): the four local pairs,
python:python, python:stunnel-local, stunnel-local:python, stunnel-local:stunnel-local.
Options: ``--fixs-pair CLIENT:SERVER`` (repeatable; replaces the default),
``--fixs-local-pairs``, ``--fixs-matrix``, ``--fixs-report-dir DIR`` (reports written at the end of the
session), ``--fixs-capture``. Markers: ``fixs_backend_python``,
``fixs_backend_stunnel_local``, ``fixs_backend_docker``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.checks.model import ScenarioResult, Verdict
from harness.errors import HarnessError, SourceLocation

_STATE_KEY = pytest.StashKey[dict[str, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fixs", "fixs-harness scenarios")
    group.addoption(
        "--fixs-pair",
        action="append",
        default=[],
        metavar="CLIENT:SERVER",
        help="backend pair to run each scenario on (repeatable; default: the four local "
        "pairs of python and stunnel-local)",
    )
    group.addoption(
        "--fixs-local-pairs",
        action="store_true",
        help="all four pairs of python and stunnel-local",
    )
    group.addoption(
        "--fixs-matrix",
        action="store_true",
        help="every pair of {python, stunnel-docker/bullseye, /bookworm, /trixie}",
    )
    group.addoption(
        "--fixs-report-dir", default=None, help="write reports (JSON, JUnit, HTML, Markdown) here"
    )
    group.addoption("--fixs-capture", default="auto", choices=("auto", "tap", "sniff"))
    group.addoption("--fixs", action="store_true", help="collect any YAML file as a scenario")


def pytest_configure(config: pytest.Config) -> None:
    for name, text in (
        ("fixs_backend_python", "uses the embedded python tunnel backend"),
        ("fixs_backend_stunnel_local", "uses the host's stunnel binary"),
        ("fixs_backend_docker", "uses stunnel in Docker containers"),
    ):
        config.addinivalue_line("markers", f"{name}: {text}")
    config.stash[_STATE_KEY] = {"runner": None, "results": []}


def _pairs(config: pytest.Config) -> list[Any]:
    from harness.runner.pairs import select_pairs

    explicit = config.getoption("--fixs-pair")
    local = config.getoption("--fixs-local-pairs")
    matrix = config.getoption("--fixs-matrix")
    # nothing asked for: the four local pairs, whether pytest runs in this
    # repository (whose pyproject also says --fixs-local-pairs) or anywhere else
    return select_pairs(explicit, local=local or not (explicit or matrix), matrix=matrix)


def _named_on_command_line(config: pytest.Config, file_path: Path) -> bool:
    base = Path(config.invocation_params.dir)
    for arg in config.args:
        name = str(arg).split("::", 1)[0]
        if not name.endswith((".yaml", ".yml")):
            continue
        path = Path(name)
        if not path.is_absolute():
            path = base / path
        if path.resolve() == file_path.resolve():
            return True
    return False


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    config = parent.config
    if (
        config.getoption("--fixs")
        or "scenarios" in file_path.parts[:-1]
        or _named_on_command_line(config, file_path)
    ):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from harness.runner.run import collect

        try:
            pairs = _pairs(self.config)
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None
        for item in collect([self.path], pairs):
            yield ScenarioItem.from_parent(self, name=item.id, item=item)


class ScenarioFailure(Exception):
    def __init__(self, result: ScenarioResult) -> None:
        self.result = result
        super().__init__(result.scenario_id)


class ScenarioItem(pytest.Item):
    def __init__(self, *, item: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fixs_item = item
        for name in {item.pair.client, item.pair.server}:
            marker = {
                "python": "fixs_backend_python",
                "stunnel-local": "fixs_backend_stunnel_local",
            }.get(name, "fixs_backend_docker")
            self.add_marker(marker)

    def _runner(self) -> Any:
        from harness.runner.run import Runner

        state = self.config.stash[_STATE_KEY]
        if state["runner"] is None:
            base = self.config.getoption("--fixs-report-dir")
            if base:
                directory = Path(base)
                # xdist sets workerinput on its workers' configs (the environment
                # variable would also leak into pytester runs inside a worker)
                workerinput = getattr(self.config, "workerinput", None)
                if workerinput:
                    directory = directory / str(workerinput["workerid"])
            else:
                factory = self.config._tmp_path_factory  # type: ignore[attr-defined]
                directory = factory.mktemp("fixs-run")
            state["runner"] = Runner(directory, capture=self.config.getoption("--fixs-capture"))
        return state["runner"]

    def runtest(self) -> None:
        from harness.runner.pairs import make_backend

        item = self.fixs_item
        if item.scenario is not None:
            for name in {item.pair.client, item.pair.server}:
                avail = make_backend(name).check()
                if not avail.ok:
                    message = f"backend {name} cannot run here: {avail.reason}"
                    if os.environ.get("CI") == "true":
                        pytest.fail(f"{message} (CI=true: a missing backend is a failure)")
                    pytest.skip(message)
        runner = self._runner()
        result: ScenarioResult = runner.run_item(item)
        self.config.stash[_STATE_KEY]["results"].append(result)
        self.user_properties.append(("verdict", result.verdict.value))
        if result.error or result.verdict is not Verdict.PASS:
            raise ScenarioFailure(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if not isinstance(excinfo.value, ScenarioFailure):
            return str(super().repr_failure(excinfo))
        r = excinfo.value.result
        # a scenario that did not load (or a tunnel that would not start) is an error
        status = "error" if r.error else r.verdict.value
        lines = [f"{r.source}: scenario {r.scenario_id} on {r.backend_pair}: {status}"]
        if r.error:
            lines.append(f"  error: {r.error}")
        for c in r.checks:
            if c.verdict is Verdict.PASS:
                continue
            section = f" (guide {c.guide_section})" if c.guide_section else ""
            where = self._expectation_location(c.id, r.backend_pair)
            lines.append(
                f"  {where or r.source}: [{c.verdict.value}] {c.id}{section}: "
                f"expected {c.expected}; observed {c.observed}"
            )
            if c.reason:
                lines.append(f"      {c.reason}")
        if "pcap" in r.artifacts:
            lines.append(f"  pcap: {r.artifacts['pcap']} (relative to the report directory)")
        return "\n".join(lines)

    def _expectation_location(self, check_id: str, backend_pair: str) -> object | None:
        """The scenario line of the expectation a check compares against."""
        scenario = self.fixs_item.scenario
        if scenario is None:
            return None
        expect, _ = scenario.expectations_for(backend_pair)
        if check_id.startswith("tls.version") and expect.tls and expect.tls.location:
            return _key_line(expect.tls.location, "version")
        if check_id.startswith("tls.cipher.expected") and expect.tls and expect.tls.location:
            return _key_line(expect.tls.location, "cipher")
        if check_id.startswith("auth.") and expect.auth:
            return expect.auth.location
        if check_id.startswith(("fix.logon", "fix.no-session", "fix.script")) and expect.fix:
            return expect.fix.location
        if check_id.startswith("fix.roundtrip"):
            return expect.messages_location
        return None

    def reportinfo(self) -> tuple[Path, int | None, str]:
        item = self.fixs_item
        line = item.scenario.source.line if item.scenario else 0
        return self.path, max(line - 1, 0), f"scenario: {self.name}"


def _key_line(block: SourceLocation, key: str) -> SourceLocation:
    """The line of ``key:`` inside the YAML block starting at ``block`` (the block's own
    line when the key is inline or not found)."""
    try:
        lines = Path(block.path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return block
    start = block.line - 1
    if 0 <= start < len(lines) and f"{key}:" in lines[start]:
        return block
    indent = len(lines[start]) - len(lines[start].lstrip()) if 0 <= start < len(lines) else 0
    for index in range(start + 1, min(start + 20, len(lines))):
        text = lines[index]
        stripped = text.lstrip()
        if stripped and not stripped.startswith("#") and len(text) - len(stripped) <= indent:
            break  # left the block
        if stripped.startswith(f"{key}:"):
            return SourceLocation(block.path, index + 1)
    return block


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_STATE_KEY, None)
    if not state or state["runner"] is None or not session.config.getoption("--fixs-report-dir"):
        return
    from datetime import UTC, datetime

    from harness import __version__
    from harness.checks.facts import host_facts
    from harness.checks.model import RunResult
    from harness.report import write_reports

    runner = state["runner"]
    now = datetime.now(UTC)
    run = RunResult(now, now, __version__, host_facts(), tuple(state["results"]))
    write_reports(run, runner.report_dir, secrets=sorted(runner.secrets))
