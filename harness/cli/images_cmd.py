"""``fixs-harness images``: build, list and clean up the stunnel container images.

fixs-harness images build [--suite bullseye|bookworm|trixie ...] [--force]
                          [--method debootstrap|dockerfile] [--mirror URL]
fixs-harness images list
fixs-harness images prune [--run RUN_ID] [--images]
"""

from __future__ import annotations

import argparse
import sys
import time

SUITE_NAMES = ("bullseye", "bookworm", "trixie")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "images",
        help="build, list and prune the stunnel container images (stunnel-docker backend)",
        description="Real stunnel in containers: one image per Debian suite "
        "(bullseye 5.56/OpenSSL 1.1.1, bookworm 5.68/3.0, trixie 5.74/3.5).",
    )
    sub = parser.add_subparsers(dest="images_command", metavar="ACTION")

    build = sub.add_parser("build", help="build the missing images (present ones are reused)")
    build.add_argument(
        "--suite",
        action="append",
        choices=SUITE_NAMES,
        help="suite to build (repeatable; default: all three)",
    )
    build.add_argument("--force", action="store_true", help="rebuild even when present")
    build.add_argument(
        "--method",
        choices=("debootstrap", "dockerfile"),
        default="debootstrap",
        help="debootstrap + docker import (no registry needed; default) "
        "or docker/Dockerfile with --build-arg SUITE (needs a registry)",
    )
    build.add_argument(
        "--mirror", help="Debian mirror for debootstrap (default: the one apt uses here)"
    )
    build.set_defaults(func=_build)

    listing = sub.add_parser("list", help="show the images present and what they contain")
    listing.set_defaults(func=_list)

    prune = sub.add_parser(
        "prune", help="remove containers left by crashed runs (found by the harness label)"
    )
    prune.add_argument("--run", metavar="RUN_ID", help="only the containers of this run")
    prune.add_argument("--images", action="store_true", help="remove the images too")
    prune.set_defaults(func=_prune)

    parser.set_defaults(func=lambda _args: (parser.print_help(), 2)[1])


def _progress(line: str) -> None:
    print(f"[images] {line}", file=sys.stderr, flush=True)


def _build(args: argparse.Namespace) -> int:
    from harness.backends import docker_images

    client = docker_images.connect()
    start = time.monotonic()
    infos = docker_images.ensure_images(
        client,
        args.suite,
        method=args.method,
        mirror=args.mirror,
        force=args.force,
        progress=_progress,
    )
    _progress(f"done in {time.monotonic() - start:.0f} s")
    for info in infos:
        print(f"{info.tag}\tstunnel {info.stunnel_version}\tOpenSSL {info.openssl_version}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from harness.backends import docker_images

    client = docker_images.connect()
    present = {info.suite: info for info in docker_images.list_images(client)}
    for name, suite in docker_images.SUITES.items():
        info = present.get(name)
        if info is None:
            print(f"{docker_images.image_tag(name)}\tmissing\t(expected stunnel {suite.stunnel})")
        else:
            print(
                f"{info.tag}\tstunnel {info.stunnel_version}\tOpenSSL {info.openssl_version}"
                f"\t(compiled {info.openssl_compiled}, {info.build_method})\t{info.image_id[:19]}"
            )
    return 0


def _prune(args: argparse.Namespace) -> int:
    from harness.backends import docker_images

    client = docker_images.connect()
    result = docker_images.prune(client, run_id=args.run, images=args.images)
    for name in result.containers:
        print(f"removed container {name}")
    for tag in result.images:
        print(f"removed image {tag}")
    if not result.containers and not result.images:
        print("nothing to remove")
    return 0
