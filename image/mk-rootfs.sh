#!/bin/sh
# usage: mk-rootfs.sh BUSYBOX APPBIN OUT.squashfs OVERLAY_DIR...
# env: FW_VERSION (firmware version, default 0.1.0), BOARD (board name, for /etc/nvr/board),
#      KERNEL_VERSION (the Debian kernel ABI the image boots, for /etc/nvr/kernel-version),
#      UPDATE_PUB (file with the hex ed25519 public key update bundles must be signed with)
# Offline stand-in for Buildroot's target/ + BR2_ROOTFS_OVERLAY: busybox,
# the app, then the same overlay dirs Buildroot would apply, in order.
set -eu
BB=$1 APP=$2 OUT=$3; shift 3
HOSTBB=$(realpath "$(command -v ${HOSTBB:-busybox})")
W=$(mktemp -d); trap 'rm -rf $W' EXIT
for d in bin sbin usr/bin usr/sbin etc dev proc sys run tmp var data lib root; do mkdir -p $W/$d; done
cp "$BB" $W/bin/busybox; chmod 755 $W/bin/busybox
for a in $($HOSTBB --list-full | grep -v "^bin/busybox$"); do ln -sf /bin/busybox $W/$a; done
install -m 755 "$APP" $W/usr/bin/mibee-nvr
for o in "$@"; do cp -a "$o"/. $W/; done
mkdir -p $W/etc/nvr
echo "${FW_VERSION:-0.1.0}" > $W/etc/nvr/firmware-version
echo "${BOARD:-unknown}" > $W/etc/nvr/board
[ -n "${KERNEL_VERSION:-}" ] && echo "$KERNEL_VERSION" > $W/etc/nvr/kernel-version
[ -n "${UPDATE_PUB:-}" ] && install -m 644 "$UPDATE_PUB" $W/etc/nvr/update.pub
echo "root:x:0:0:root:/root:/bin/sh" > $W/etc/passwd
echo "root:x:0:" > $W/etc/group
rm -f "$OUT"
mksquashfs $W "$OUT" -all-root -comp xz -noappend -quiet -no-progress
echo "rootfs: $OUT $(du -h "$OUT" | cut -f1)"
