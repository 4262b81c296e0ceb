"""Stunnel container images: one per Debian suite, built without any registry.

Theory of operation
-------------------
Counterparties run stunnel of various versions linked with various OpenSSL
versions. Debian's stable suites give three well-known combinations:

========  =======  =======  ==================================================
suite     stunnel  OpenSSL  why
========  =======  =======  ==================================================
bullseye  5.56     1.1.1    closest to the 2017 guide's stunnel 5.41 / 1.1.0
bookworm  5.68     3.0      this machine's own ``stunnel4``
trixie    5.74     3.5      newest
========  =======  =======  ==================================================

Each image is tagged ``fixs-harness/stunnel:SUITE`` and labelled with what it
really contains (stunnel version, OpenSSL compiled and running), read by running
``stunnel -version`` inside the freshly built image once. Labels are the truth;
the suite table above is only the expectation.

Two ways to build (``method``):

* ``debootstrap`` (default, needs no registry): ``docker/build-rootfs.sh`` runs
  ``debootstrap --variant=minbase`` from the Debian mirror apt uses, the tree is
  streamed as a tar into ``docker import``.
* ``dockerfile``: ``docker/Dockerfile`` with the build argument ``SUITE``
  (``FROM debian:SUITE-slim``), for users whose engine can pull from a registry.

Either way the result is committed once more with the labels. Images that are
present (with the suite label) are reused; :func:`ensure_images` builds only what
is missing. Progress goes to a callback, never to stdout: the CLI renders it.

Every container the harness starts carries the labels :data:`LABEL_HARNESS` and
:data:`LABEL_RUN`; :func:`prune` removes the leftovers of crashed runs by label.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError

if TYPE_CHECKING:  # the docker SDK is imported lazily: the CLI must start fast
    from docker.client import DockerClient

#: Repository part of every image tag.
IMAGE_REPOSITORY = "fixs-harness/stunnel"
#: Label on every container the harness starts (value "1").
LABEL_HARNESS = "fixs-harness"
#: Label carrying the run id of the run that started a container.
LABEL_RUN = "fixs-harness.run"
#: Image labels describing what an image contains.
LABEL_SUITE = "fixs-harness.suite"
LABEL_STUNNEL = "fixs-harness.stunnel-version"
LABEL_OPENSSL = "fixs-harness.openssl-version"
LABEL_OPENSSL_COMPILED = "fixs-harness.openssl-compiled"
LABEL_METHOD = "fixs-harness.build-method"

#: Build methods accepted by :func:`build_image`.
METHODS: tuple[str, ...] = ("debootstrap", "dockerfile")

#: Callback receiving one human-readable progress line at a time.
Progress = Callable[[str], None]


def _silent(_line: str) -> None:
    return None


@dataclass(frozen=True)
class Suite:
    """A Debian suite and the stunnel/OpenSSL versions expected in it."""

    name: str
    stunnel: str
    openssl: str
    note: str


#: The suites the harness builds, oldest first.
SUITES: dict[str, Suite] = {
    s.name: s
    for s in (
        Suite("bullseye", "5.56", "1.1.1", "closest to the guide's stunnel 5.41 / OpenSSL 1.1.0"),
        Suite("bookworm", "5.68", "3.0", "Debian 12, the host's own stunnel4"),
        Suite("trixie", "5.74", "3.5", "Debian 13, newest"),
    )
}


def suite_for(name_or_version: str) -> Suite:
    """Look up a suite by name (``bullseye``) or stunnel version (``5.56``).

    Raises:
        HarnessError: when nothing matches; the message lists what would.
    """
    for suite in SUITES.values():
        if name_or_version in (suite.name, suite.stunnel):
            return suite
    known = ", ".join(f"{s.name} ({s.stunnel})" for s in SUITES.values())
    raise HarnessError(f"unknown stunnel image {name_or_version!r}; known: {known}")


def image_tag(suite: str) -> str:
    """The tag of a suite's image, e.g. ``fixs-harness/stunnel:bookworm``."""
    return f"{IMAGE_REPOSITORY}:{suite_for(suite).name}"


@dataclass(frozen=True)
class StunnelBuildInfo:
    """What ``stunnel -version`` says about a binary."""

    stunnel_version: str
    openssl_compiled: str
    openssl_running: str


_VERSION_RE = re.compile(r"stunnel (\d+\.\d+)\b")
_COMPILED_RE = re.compile(r"Compiled with OpenSSL (\S+)")
_RUNNING_RE = re.compile(r"Running\s+with OpenSSL (\S+)")


def parse_stunnel_version(text: str) -> StunnelBuildInfo:
    """Parse the banner of ``stunnel -version`` (or a start-up log).

    Raises:
        HarnessError: when the text holds no stunnel banner.
    """
    version = _VERSION_RE.search(text)
    compiled = _COMPILED_RE.search(text)
    running = _RUNNING_RE.search(text)
    if not version or not compiled:
        raise HarnessError(f"no stunnel version banner in: {text.strip()[:300]!r}")
    return StunnelBuildInfo(
        stunnel_version=version.group(1),
        openssl_compiled=compiled.group(1),
        openssl_running=running.group(1) if running else compiled.group(1),
    )


@dataclass(frozen=True)
class ImageInfo:
    """A built stunnel image, as its labels describe it."""

    suite: str
    tag: str
    image_id: str
    stunnel_version: str
    openssl_version: str
    openssl_compiled: str
    build_method: str

    @property
    def matches_expectation(self) -> bool:
        """Whether the image holds the stunnel version its suite is known for."""
        return self.stunnel_version == SUITES[self.suite].stunnel


@dataclass(frozen=True)
class EngineStatus:
    """Whether a Docker engine answers, and why not when it does not."""

    available: bool
    reason: str = ""
    server_version: str = ""


def _engine_error(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"no Docker engine reachable ({text})"


def connect(*, timeout: float = 30.0) -> DockerClient:
    """Connect to the Docker engine named by the environment (``DOCKER_HOST``).

    Raises:
        HarnessError: when no engine answers, with the reason.
    """
    # Submodule imports: a bare `import docker` would resolve, for mypy, to this
    # repository's docker/ folder (the Dockerfile) as a namespace package.
    from docker.client import from_env
    from docker.errors import DockerException

    try:
        client = from_env(timeout=int(timeout))
        client.ping()
    except (DockerException, OSError) as exc:
        raise HarnessError(_engine_error(exc)) from exc
    return client


def probe_engine() -> EngineStatus:
    """Failures as data: is there an engine, and if not, why."""
    try:
        client = connect(timeout=5)
    except HarnessError as exc:
        return EngineStatus(False, str(exc))
    try:
        return EngineStatus(True, server_version=str(client.version().get("Version", "")))
    finally:
        client.close()


def _info_from_image(image: Any) -> ImageInfo | None:
    labels = image.labels or {}
    suite = labels.get(LABEL_SUITE)
    if suite not in SUITES or LABEL_STUNNEL not in labels:
        return None
    return ImageInfo(
        suite=suite,
        tag=image_tag(suite),
        image_id=image.id,
        stunnel_version=labels[LABEL_STUNNEL],
        openssl_version=labels.get(LABEL_OPENSSL, ""),
        openssl_compiled=labels.get(LABEL_OPENSSL_COMPILED, ""),
        build_method=labels.get(LABEL_METHOD, ""),
    )


def find_image(client: DockerClient, suite: str) -> ImageInfo | None:
    """The suite's image when it is present and labelled by the harness."""
    from docker.errors import ImageNotFound

    try:
        image = client.images.get(image_tag(suite))
    except ImageNotFound:
        return None
    return _info_from_image(image)


def list_images(client: DockerClient) -> list[ImageInfo]:
    """All harness images present, in suite order."""
    found = [find_image(client, name) for name in SUITES]
    return [info for info in found if info is not None]


def require_image(client: DockerClient, suite: str) -> ImageInfo:
    """The suite's image, or an error telling the user how to build it."""
    info = find_image(client, suite)
    if info is None:
        name = suite_for(suite).name
        raise HarnessError(
            f"image {image_tag(name)} is missing; build it with "
            f"`fixs-harness images build --suite {name}`"
        )
    return info


def default_mirror(sources: Iterable[Path] | None = None) -> str:
    """The Debian mirror to debootstrap from.

    ``$FIXS_DEBIAN_MIRROR`` wins; otherwise the first ``.../debian`` URI that apt on
    this machine is configured with (one-line or deb822 sources), so builds use
    whatever mirror (or proxy) the machine already trusts; otherwise Debian's
    default redirector.
    """
    env = os.environ.get("FIXS_DEBIAN_MIRROR")
    if env:
        return env.rstrip("/")
    if sources is None:
        apt = Path("/etc/apt")
        sources = [apt / "sources.list", *sorted((apt / "sources.list.d").glob("*"))]
    uri_re = re.compile(r"(?:^deb\s+(?:\[[^\]]*\]\s+)?|^URIs:\s*)(\S+/debian)/?\s", re.M)
    for path in sources:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        match = uri_re.search(text + "\n")
        if match:
            return match.group(1)
    return "http://deb.debian.org/debian"


def _repo_docker_dir() -> Path:
    """The repository's ``docker/`` folder (``build-rootfs.sh`` and the ``Dockerfile``)."""
    return Path(__file__).resolve().parents[2] / "docker"


def _debootstrap_phases(lines: Iterable[str], progress: Progress, suite: str) -> Iterator[str]:
    """Forward debootstrap output compressed to one line per phase.

    debootstrap prints a line per package and step ("I: Retrieving libc6");
    reporting each change of verb keeps progress visible without hundreds of lines.
    Yields every line, for the error message when the build fails.
    """
    last_verb = ""
    for raw in lines:
        line = raw.rstrip()
        yield line
        if line.startswith("I: "):
            verb = line[3:].split(" ", 1)[0]
            verb = "Retrieving" if verb == "Validating" else verb  # they alternate
            if verb != last_verb:
                progress(f"{suite}: {line[3:]}")
                last_verb = verb
        elif line and not line.startswith("W: "):  # the script's own lines, errors
            progress(f"{suite}: {line}")


def _build_rootfs(suite: str, workdir: Path, mirror: str, progress: Progress) -> Path:
    script = _repo_docker_dir() / "build-rootfs.sh"
    if not script.is_file():
        raise HarnessError(f"{script} not found: image builds run from a clone of fixs-harness")
    if shutil.which("debootstrap") is None:
        raise HarnessError("debootstrap is not installed (apt-get install debootstrap)")
    rootfs = workdir / suite
    proc = subprocess.Popen(
        ["bash", str(script), suite, str(rootfs), mirror],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    assert proc.stdout is not None
    try:
        tail = list(_debootstrap_phases(proc.stdout, progress, suite))[-15:]
        rc = proc.wait(timeout=1800)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    if rc != 0:
        raise HarnessError(
            f"building the {suite} root file system failed (exit {rc}):\n" + "\n".join(tail)
        )
    return rootfs


def _import_rootfs(client: DockerClient, rootfs: Path, suite: str) -> str:
    """Stream ``tar -C rootfs -c .`` into ``docker import``; returns the image id."""
    # tar(1) preserves device nodes, owners and xattrs as debootstrap made them;
    # Python's tarfile would need care for each.
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    assert tar.stdout is not None
    pipe = tar.stdout
    try:
        chunks = iter(lambda: pipe.read(1 << 20), b"")
        result = client.api.import_image_from_stream(
            chunks, repository=IMAGE_REPOSITORY, tag=f"{suite}-rootfs"
        )
    finally:
        pipe.close()
        if tar.wait(timeout=120) != 0:
            raise HarnessError(f"tar of {rootfs} failed")
    match = re.search(r"sha256:[0-9a-f]{64}", str(result))
    if not match:
        raise HarnessError(f"docker import gave no image id: {str(result)[:300]}")
    return match.group(0)


def _build_dockerfile(client: DockerClient, suite: str, progress: Progress) -> str:
    """``docker build`` of ``docker/Dockerfile`` for one suite (build argument ``SUITE``).

    The build's ``RUN`` step uses host networking, like every harness container: the
    engine the harness starts has no bridge network.
    """
    context = _repo_docker_dir()
    if not (context / "Dockerfile").is_file():
        raise HarnessError(f"{context / 'Dockerfile'} not found")
    from docker.errors import BuildError

    try:
        image, logs = client.images.build(
            path=str(context),
            buildargs={"SUITE": suite},
            network_mode="host",
            tag=f"{IMAGE_REPOSITORY}:{suite}-base",
            rm=True,
        )
    except BuildError as exc:
        raise HarnessError(f"docker build of {context} failed: {exc.msg}") from exc
    for entry in logs:
        text = str(entry.get("stream", "")).strip()
        if text.startswith("Step "):
            progress(f"{suite}: {text}")
    return str(image.id)


def _label_image(
    client: DockerClient, base_id: str, suite: str, method: str, progress: Progress
) -> ImageInfo:
    """Run ``stunnel -version`` once in the new image and commit it with labels.

    The intermediate tag (``SUITE-rootfs`` / ``SUITE-base``) is dropped afterwards;
    its layers stay as the parent of the labelled image.
    """
    from docker.errors import ImageNotFound

    run_id = f"build-{uuid.uuid4().hex[:12]}"
    container = client.containers.create(
        base_id,
        command=["stunnel", "-version"],
        labels={LABEL_HARNESS: "1", LABEL_RUN: run_id},
        network_mode="none",
    )
    try:
        container.start()
        container.wait(timeout=120)
        banner = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        info = parse_stunnel_version(banner)
        labels = {
            LABEL_SUITE: suite,
            LABEL_STUNNEL: info.stunnel_version,
            LABEL_OPENSSL: info.openssl_running,
            LABEL_OPENSSL_COMPILED: info.openssl_compiled,
            LABEL_METHOD: method,
        }
        changes = [f'LABEL {key}="{value}"' for key, value in labels.items()]
        changes.append('CMD ["stunnel", "-version"]')
        container.commit(repository=IMAGE_REPOSITORY, tag=suite, changes=changes)
    finally:
        container.remove(force=True)
    for intermediate in (f"{suite}-rootfs", f"{suite}-base"):
        with contextlib.suppress(ImageNotFound):
            client.images.remove(f"{IMAGE_REPOSITORY}:{intermediate}", noprune=True)
    result = find_image(client, suite)
    if result is None:  # pragma: no cover - the engine lost the commit
        raise HarnessError(f"image {image_tag(suite)} missing right after it was committed")
    expected = SUITES[suite]
    progress(
        f"{suite}: stunnel {result.stunnel_version}, OpenSSL {result.openssl_version}"
        f" (compiled {result.openssl_compiled})"
        + ("" if result.matches_expectation else f"; note: expected stunnel {expected.stunnel}")
    )
    return result


def build_image(
    client: DockerClient,
    suite: str,
    *,
    method: str = "debootstrap",
    mirror: str | None = None,
    workdir: Path | None = None,
    progress: Progress = _silent,
) -> ImageInfo:
    """Build (or rebuild) one suite's image and tag it ``fixs-harness/stunnel:SUITE``.

    Args:
        suite: ``bullseye``, ``bookworm`` or ``trixie`` (or the stunnel version).
        method: ``debootstrap`` (no registry needed; root) or ``dockerfile``.
        mirror: Debian mirror for debootstrap; default :func:`default_mirror`.
        workdir: where the temporary root file system goes (removed afterwards).
        progress: receives progress lines.

    Raises:
        HarnessError: with the tail of the build output when a step fails.
    """
    name = suite_for(suite).name
    if method not in METHODS:
        raise HarnessError(f"unknown build method {method!r}; use one of {', '.join(METHODS)}")
    if method == "dockerfile":
        progress(f"{name}: docker build --build-arg SUITE={name} {_repo_docker_dir()}")
        base_id = _build_dockerfile(client, name, progress)
    else:
        if os.geteuid() != 0:
            raise HarnessError("debootstrap image builds need root")
        mirror = mirror or default_mirror()
        tmp = Path(tempfile.mkdtemp(prefix=f"fixs-rootfs-{name}-", dir=workdir))
        try:
            rootfs = _build_rootfs(name, tmp, mirror, progress)
            progress(f"{name}: docker import")
            base_id = _import_rootfs(client, rootfs, name)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    progress(f"{name}: reading versions (stunnel -version) and labelling")
    return _label_image(client, base_id, name, method, progress)


def ensure_images(
    client: DockerClient,
    suites: Sequence[str] | None = None,
    *,
    method: str = "debootstrap",
    mirror: str | None = None,
    force: bool = False,
    progress: Progress = _silent,
) -> list[ImageInfo]:
    """Build the images that are missing (all suites by default); reuse the rest."""
    names = [suite_for(s).name for s in (suites or list(SUITES))]
    result: list[ImageInfo] = []
    for name in dict.fromkeys(names):
        present = find_image(client, name)
        if present is not None and not force:
            progress(f"{name}: present ({present.tag}, stunnel {present.stunnel_version}), reused")
            result.append(present)
            continue
        built = build_image(client, name, method=method, mirror=mirror, progress=progress)
        if present is not None and present.image_id != built.image_id:
            _remove_replaced(client, present.image_id, progress)
        result.append(built)
    return result


def _remove_replaced(client: DockerClient, image_id: str, progress: Progress) -> None:
    """Drop the image a forced rebuild replaced (it would linger untagged)."""
    from docker.errors import APIError

    try:
        client.images.remove(image_id)
    except APIError as exc:  # e.g. a container of a running test still uses it
        progress(f"kept replaced image {image_id[:19]}: {exc.explanation or exc}")


@dataclass(frozen=True)
class PruneResult:
    """What :func:`prune` removed."""

    containers: tuple[str, ...]
    images: tuple[str, ...]


def harness_containers(client: DockerClient, run_id: str | None = None) -> list[Any]:
    """Containers (running or not) carrying the harness label, optionally of one run."""
    label = f"{LABEL_RUN}={run_id}" if run_id else LABEL_HARNESS
    return list(client.containers.list(all=True, filters={"label": label}))


def prune(client: DockerClient, *, run_id: str | None = None, images: bool = False) -> PruneResult:
    """Remove harness containers left by crashed runs (and the images, if asked).

    Containers are found by label, never by name, so a user's own containers are
    never touched. Removal is forced: a crashed run's stunnel may still be running.
    """
    from docker.errors import APIError, NotFound

    removed: list[str] = []
    for container in harness_containers(client, run_id):
        try:
            container.remove(force=True)
            removed.append(container.name)
        except NotFound:  # removed concurrently (e.g. by the run that owned it)
            continue
        except APIError as exc:
            if "removal of container" in str(exc) and "already in progress" in str(exc):
                continue
            raise HarnessError(f"cannot remove container {container.name}: {exc}") from exc
    removed_images: list[str] = []
    if images:
        for image in client.images.list(name=IMAGE_REPOSITORY):
            for tag in image.tags:
                try:
                    client.images.remove(tag, force=True)
                    removed_images.append(tag)
                except NotFound:
                    continue
    return PruneResult(tuple(removed), tuple(removed_images))
