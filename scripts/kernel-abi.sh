#!/bin/sh
# usage: kernel-abi.sh DEB_ARCH FLAVOUR   (e.g. arm64 arm64, armhf armmp)
# Prints the kernel ABI (e.g. 6.1.0-57-arm64) that Debian's linux-image-FLAVOUR metapackage
# depends on now: the current kernel, resolved at build time instead of a pinned ABI that
# leaves the archive at the next point release.
set -eu
ARCH=$1 FLAVOUR=$2
ABI=$(apt-cache depends "linux-image-$FLAVOUR:$ARCH" 2>/dev/null |
  sed -n "s/^ *Depends: linux-image-\([0-9][^:]*-$FLAVOUR\):$ARCH\$/\1/p" | sort -V | tail -n 1)
if [ -z "$ABI" ]; then
  echo "kernel-abi.sh: no linux-image-$FLAVOUR:$ARCH in the apt lists (is $ARCH added with dpkg --add-architecture, and apt updated?)" >&2
  exit 1
fi
echo "$ABI"
