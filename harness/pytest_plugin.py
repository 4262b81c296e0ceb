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
pass). A self-test scenario (``selftest: {must_fail: [...]}``) passes exactly when
its self-test holds: those checks failed and no other did (harness.checks.selftest).
A malformed scenario fails only its own item, with file:line. A backend that
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
from harness.errors import HarnessError

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
    config.stash[_STATE_KEY] = {"runner": None, "results": [], "handlers": None}
    # SIGTERM and SIGHUP (CI's cancel, timeout(1), a closed terminal) stop the session
    # the way Ctrl-C does, so every tunnel, container and thread is stopped and the
    # report is written, marked interrupted (harness.signals)
    import signal as _signal

    from harness import signals

    previous = {sig: _signal.getsignal(sig) for sig in signals.STOP_SIGNALS}
    if signals.install():
        config.stash[_STATE_KEY]["handlers"] = previous


def pytest_unconfigure(config: pytest.Config) -> None:
    import signal as _signal

    from harness import signals

    state = config.stash.get(_STATE_KEY, None)
    if state and state["handlers"] and signals.stop_reason() is None:
        for sig, handler in state["handlers"].items():
            _signal.signal(sig, handler)


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
        expected: set[str] = set()
        if r.selftest is not None:
            # a self-test fails when its expected failures did not happen, or others did
            scenario = self.fixs_item.scenario
            where = scenario.selftest.location if scenario and scenario.selftest else r.source
            lines.append(f"  {where}: {r.selftest.summary()}")
            lines.append(f"      must_fail: {', '.join(r.selftest.must_fail)}")
            expected = set(r.selftest.expected_failed)
        if r.error:
            lines.append(f"  error: {r.error}")
        for c in r.checks:
            if c.verdict is Verdict.PASS:
                continue
            section = f" (guide {c.guide_section})" if c.guide_section else ""
            where = self._expectation_location(c.id, r.backend_pair)
            label = "fail, expected" if c.id in expected else c.verdict.value
            lines.append(
                f"  {where or r.source}: [{label}] {c.id}{section}: "
                f"expected {c.expected}; observed {c.observed}"
            )
            if c.reason:
                lines.append(f"      {c.reason}")
            lines.extend(f"      {line}" for line in c.evidence)
            if c.verdict is Verdict.FAIL and c.remedy:
                lines.append(f"      fix: {c.remedy}")
        if "pcap" in r.artifacts:
            lines.append(f"  pcap: {r.artifacts['pcap']} (relative to the report directory)")
        return "\n".join(lines)

    def _expectation_location(self, check_id: str, backend_pair: str) -> object | None:
        """The scenario line of the expectation a check compares against."""
        from harness.scenario.locate import expectation_location

        scenario = self.fixs_item.scenario
        if scenario is None:
            return None
        return expectation_location(scenario, check_id, backend_pair)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        item = self.fixs_item
        line = item.scenario.source.line if item.scenario else 0
        return self.path, max(line - 1, 0), f"scenario: {self.name}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from harness import signals

    reason = signals.stop_reason()
    if reason is not None:
        session.exitstatus = signals.stop_exit_code() or 130  # 130/143/129, as the CLI
    state = session.config.stash.get(_STATE_KEY, None)
    if not state or state["runner"] is None:
        return
    runner = state["runner"]
    try:
        if not session.config.getoption("--fixs-report-dir"):
            return
        from datetime import UTC, datetime

        from harness import __version__
        from harness.checks.facts import host_facts
        from harness.checks.model import RunResult
        from harness.report import write_reports

        now = datetime.now(UTC)
        run = RunResult(
            now, now, __version__, host_facts(), tuple(state["results"]), interrupted=reason
        )
        write_reports(run, runner.report_dir, secrets=sorted(runner.secrets))
    finally:
        runner.close()
