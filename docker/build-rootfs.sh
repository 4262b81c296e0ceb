#!/usr/bin/env bash
# Build the root file system of a fixs-harness stunnel image without any registry.
#
#   docker/build-rootfs.sh SUITE DIR [MIRROR]
#
# Runs `debootstrap --variant=minbase` for the Debian SUITE (bullseye, bookworm,
# trixie) into DIR with stunnel4, openssl and ca-certificates, then trims what a
# container never needs (package caches and lists, documentation, translations),
# which halves the image. MIRROR defaults to $FIXS_DEBIAN_MIRROR, else the Debian
# mirror apt on this machine uses. Needs root (debootstrap chroots).
#
# The harness turns DIR into an image with `docker import` (see
# harness/backends/docker_images.py); by hand:
#   tar -C DIR -c . | docker import - fixs-harness/stunnel:SUITE
set -euo pipefail

suite=${1:?usage: build-rootfs.sh SUITE DIR [MIRROR]}
dir=${2:?usage: build-rootfs.sh SUITE DIR [MIRROR]}
mirror=${3:-${FIXS_DEBIAN_MIRROR:-http://deb.debian.org/debian}}

case "$suite" in
    bullseye|bookworm|trixie) ;;
    *) echo "build-rootfs.sh: unsupported suite '$suite'" >&2; exit 2 ;;
esac
command -v debootstrap >/dev/null || { echo "build-rootfs.sh: debootstrap not installed" >&2; exit 2; }
[ "$(id -u)" = "0" ] || { echo "build-rootfs.sh: debootstrap needs root" >&2; exit 2; }

echo "debootstrap $suite from $mirror into $dir"
debootstrap --variant=minbase --include=stunnel4,openssl,ca-certificates \
    "$suite" "$dir" "$mirror"

echo "trimming caches, package lists, documentation and translations"
rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin \
    "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* \
    "$dir"/usr/share/info/*
find "$dir"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
echo "root file system ready: $(du -sh "$dir" | cut -f1)"
