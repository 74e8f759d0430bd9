#!/usr/bin/env bash
# Checks scripts/setup-dev.sh against the machine and the apt archive (`make setup` runs it
# last; a few seconds):
#  1. every apt package setup-dev.sh names exists in the archive for this architecture (no
#     :arch qualifier, no kernel ABI version that a point release would drop);
#  2. after setup, each command and data file the build and the tests use is there, each
#     named with the package that ships it.
# Exits non-zero and says what is wrong and which package fixes it.
set -uo pipefail
cd "$(dirname "$0")/.."
MIBEE_CACHE=${MIBEE_CACHE:-/var/cache/mibee-nvr}
HOST_ARCH=$(dpkg --print-architecture)
PATH=$PATH:/usr/sbin:/sbin   # mkfs.ext4, fsfreeze, ip for a non-root user too
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
fail=0
bad() { echo "check-setup: $*" >&2; fail=1; }

# --- 1. the package list against the archive ---
mapfile -t pkgs < <(./scripts/setup-dev.sh --list-packages)
[ ${#pkgs[@]} -gt 0 ] || { echo "check-setup: setup-dev.sh --list-packages printed nothing" >&2; exit 1; }
for p in "${pkgs[@]}"; do
  case "$p" in
    *:*) bad "setup-dev.sh names '$p' with an architecture: a foreign-arch library can make apt remove the host's compilers" ;;
  esac
  if [[ "$p" =~ ^linux-(image|headers|modules)-[0-9] ]]; then
    bad "setup-dev.sh names '$p', a kernel ABI version; Debian drops it at the next point release"
  fi
done
# madison lists the archive's versions only (not dpkg's status file): one call for all.
in_archive=$(apt-cache madison "${pkgs[@]}" 2>/dev/null \
  | awk -F'|' -v a=" $HOST_ARCH Packages" 'index($3, a) { gsub(/ /, "", $1); print $1 }' | sort -u)
if [ -z "$in_archive" ]; then
  bad "apt-cache knows no package: run 'apt-get update' (then make setup)"
else
  for p in "${pkgs[@]}"; do
    grep -qx -- "$p" <<<"$in_archive" || bad "package '$p' (scripts/setup-dev.sh) is not in the apt archive for $HOST_ARCH"
  done
fi

# --- 2. what the build and the tests run, and the package that ships each ---
# command:package
CMDS=(
  cc:build-essential c++:build-essential make:build-essential pkg-config:pkg-config
  curl:curl jq:jq file:file
  aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu aarch64-linux-gnu-g++:g++-aarch64-linux-gnu
  arm-linux-gnueabihf-gcc:gcc-arm-linux-gnueabihf arm-linux-gnueabihf-g++:g++-arm-linux-gnueabihf
  qemu-aarch64-static:qemu-user-static qemu-arm-static:qemu-user-static
  ffmpeg:ffmpeg ffprobe:ffmpeg
  mkfs.ext4:e2fsprogs mount:mount umount:mount fsfreeze:util-linux df:coreutils
  ip:iproute2 socat:socat
  qemu-system-arm:qemu-system-arm qemu-system-aarch64:qemu-system-arm
  genimage:genimage mksquashfs:squashfs-tools mkdosfs:dosfstools mcopy:mtools mke2fs:e2fsprogs
  mkimage:u-boot-tools fakeroot:fakeroot dpkg-deb:dpkg timeout:coreutils
  node:nodejs npm:npm
  rsync:rsync git:git
)
for e in "${CMDS[@]}"; do
  c=${e%%:*} p=${e#*:}
  command -v "$c" >/dev/null || bad "command '$c' not found (package $p)"
done
# path:package (globs allowed)
FILES=(
  "/usr/bin/python3:python3"
  "/usr/bin/chromium:chromium"
  "/usr/lib/llvm-*/lib/libclang.so:libclang-dev"
  "/usr/include/linux/videodev2.h:linux-libc-dev"
  "/usr/aarch64-linux-gnu/include/linux/videodev2.h:linux-libc-dev-arm64-cross"
  "/usr/arm-linux-gnueabihf/include/linux/videodev2.h:linux-libc-dev-armhf-cross"
  "/usr/aarch64-linux-gnu/lib/libc.a:libc6-dev-arm64-cross"
  "/usr/arm-linux-gnueabihf/lib/libc.a:libc6-dev-armhf-cross"
  "/usr/lib/$MULTIARCH/faketime/libfaketime.so.1:libfaketime"
  "/usr/lib/ipxe/qemu/efi-virtio.rom:ipxe-qemu"
  "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc:fonts-wqy-microhei"
  "/usr/lib/$MULTIARCH/libGL.so.1:libgl1"
)
for e in "${FILES[@]}"; do
  f=${e%%:*} p=${e#*:}
  compgen -G "$f" >/dev/null || bad "$f not found (package $p)"
done
# Python.h of Debian's python3 (venv-xiaomi compiles netifaces)
inc=$(/usr/bin/python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)
[ -n "$inc" ] && [ -f "$inc/Python.h" ] || bad "Python.h of /usr/bin/python3 not found (package python3-dev)"
# The GStreamer fixtures (fakecam.py, filecam.py): typelibs and elements, from Debian's python3.
if ! out=$(/usr/bin/python3 - 2>&1 <<'PY'
import gi
for ns, pkg in [("Gst", "gir1.2-gstreamer-1.0"), ("GstRtsp", "gir1.2-gst-plugins-base-1.0"),
                ("GstVideo", "gir1.2-gst-plugins-base-1.0"), ("GstRtspServer", "gir1.2-gst-rtsp-server-1.0")]:
    try:
        gi.require_version(ns, "1.0")
    except ValueError:
        print(f"typelib {ns}-1.0 missing (package {pkg})")
from gi.repository import Gst
try:
    gi.require_foreign("cairo")
except ImportError:
    print("python3 cairo for GObject missing (package python3-gi-cairo)")
Gst.init(None)
for el, pkg in [("videotestsrc", "gstreamer1.0-plugins-base"), ("audiotestsrc", "gstreamer1.0-plugins-base"),
                ("x264enc", "gstreamer1.0-plugins-ugly"), ("x265enc", "gstreamer1.0-plugins-bad"),
                ("h265parse", "gstreamer1.0-plugins-bad"), ("rtph264pay", "gstreamer1.0-plugins-good"),
                ("jpegenc", "gstreamer1.0-plugins-good"), ("alawenc", "gstreamer1.0-plugins-good"),
                ("cairooverlay", "gstreamer1.0-plugins-good"), ("qtdemux", "gstreamer1.0-plugins-good"),
                ("timeoverlay", "gstreamer1.0-x"), ("avenc_aac", "gstreamer1.0-libav")]:
    if Gst.ElementFactory.find(el) is None:
        print(f"GStreamer element {el} missing (package {pkg})")
PY
) || [ -n "$out" ]; then
  while IFS= read -r l; do [ -n "$l" ] && bad "$l"; done <<<"${out:-/usr/bin/python3 with python3-gi failed}"
fi

# Node.js: app/tests/browser's playwright-core refuses Node.js < 20.
major=$(node -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0)
[ "$major" -ge 20 ] || bad "node on PATH is $(node --version 2>/dev/null || echo missing); the browser tests need >= 20 (setup-dev.sh installs one)"

# Rust: the workspace's rust-version, rustfmt and clippy (make lint), the cross targets.
want=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -1)
have=$(rustc --version 2>/dev/null | awk '{print $2}')
if [ -z "$have" ]; then
  bad "rustc not found (install Rust with rustup)"
elif [ -n "$want" ] && [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -1)" != "$want" ]; then
  bad "rustc $have is older than the workspace's rust-version $want (rustup update)"
fi
if command -v rustup >/dev/null; then
  comps=$(rustup component list --installed 2>/dev/null)
  for c in rustfmt clippy; do grep -q "^$c" <<<"$comps" || bad "rustup component $c missing"; done
  targets=$(rustup target list --installed 2>/dev/null)
  for t in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
    grep -qx "$t" <<<"$targets" || bad "rustup target $t missing"
  done
fi

# The Python venvs and npm trees setup-dev.sh makes.
"$MIBEE_CACHE/venv/bin/schemathesis" --version >/dev/null 2>&1 || bad "$MIBEE_CACHE/venv/bin/schemathesis missing (setup-dev.sh)"
"$MIBEE_CACHE/venv-onvif/bin/python" -c 'import ipycam, onvif, cv2, lxml, numpy' >/dev/null 2>&1 \
  || bad "$MIBEE_CACHE/venv-onvif cannot import ipycam, onvif, cv2, lxml, numpy (cv2 needs libgl1, libglib2.0-0)"
"$MIBEE_CACHE/venv-xiaomi/bin/python" -c 'import micloud.micloud, miio.cloud' >/dev/null 2>&1 \
  || bad "$MIBEE_CACHE/venv-xiaomi cannot import micloud, miio (setup-dev.sh)"
[ -f app/tests/browser/node_modules/playwright-core/package.json ] || bad "app/tests/browser/node_modules missing (setup-dev.sh runs npm ci)"

if [ "$fail" != 0 ]; then
  echo "check-setup: FAILED (fix scripts/setup-dev.sh, or run make setup)" >&2
  exit 1
fi
echo "check-setup: ${#pkgs[@]} packages in the archive; the commands and files the build and tests use are there"
