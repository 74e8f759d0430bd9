#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine lacks to build, test and cross-build
# MiBee NVR: apt packages, rustup targets and components, and the Python test tools
# (in a venv under $MIBEE_CACHE). Idempotent; safe to run on every CI start.
set -euo pipefail

MIBEE_CACHE=${MIBEE_CACHE:-/var/cache/mibee-nvr}
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

APT_PACKAGES=(
  build-essential pkg-config curl jq file ca-certificates
  # the v4l crate's bindgen loads libclang; openh264 builds C++ (g++ from build-essential)
  libclang-dev
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross
  gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf libc6-dev-armhf-cross
  qemu-user-static
  python3-venv
  # app/tests/fixtures/{fakecam,filecam}.py: gst-rtsp-server driven from Debian's
  # /usr/bin/python3 (python-gi), x264/x265/jpeg/alaw/aac encoders, timeoverlay
  # (gstreamer1.0-x); ffmpeg/ffprobe read the fake cameras and validate recordings
  python3-gi python3-gst-1.0 gir1.2-gst-rtsp-server-1.0 gstreamer1.0-rtsp
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-x
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  python3-gi-cairo
  ffmpeg
  # app/tests/storage_full.rs fills a real loop-mounted ext4 filesystem (runs as root);
  # field_conditions.rs stalls one with fsfreeze (util-linux)
  e2fsprogs mount util-linux
  # app/tests/clock_1970.rs starts the daemon with its wall clock at 1970 (LD_PRELOAD)
  libfaketime
  # firmware images and their QEMU tests (make image-qemu hw-test-qemu)
  # ipxe-qemu: the virtio NIC's option ROM (efi-virtio.rom) that qemu-system-arm loads; it is
  # only a Recommends of qemu-system-arm, which --no-install-recommends skips
  qemu-system-arm ipxe-qemu genimage squashfs-tools mtools dosfstools u-boot-tools fakeroot
  # the guest reaches the host's fake camera through a QEMU guestfwd to 127.0.0.1 (socat)
  socat
  # app/tests/fixtures/netns.sh: private network namespaces for ONVIF / WS-Discovery peers
  iproute2
  # live view tests play the streams in headless Chromium (app/tests/browser); the UI's
  # Chinese pages need a CJK font to render in its screenshots
  chromium fonts-wqy-microhei
)
# Node.js for the browser harnesses (any packaged node >= 18 with npm will do).
command -v node >/dev/null || APT_PACKAGES+=(nodejs)
command -v npm >/dev/null || APT_PACKAGES+=(npm)
# The images are assembled from Debian arm64 and armhf packages (make debs).
if ! dpkg --print-foreign-architectures | grep -qx arm64 \
   || ! dpkg --print-foreign-architectures | grep -qx armhf; then
  $SUDO dpkg --add-architecture arm64
  $SUDO dpkg --add-architecture armhf
  $SUDO apt-get update -qq || echo "setup: apt-get update reported an error; continuing"
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing apt packages: ${missing[*]}"
  # A foreign-arch index that fails its check makes update exit 100; the amd64 lists are fine.
  $SUDO apt-get update -qq || echo "setup: apt-get update reported an error; continuing"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

rustup component add rustfmt clippy >/dev/null
rustup target add aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf >/dev/null

mkdir -p "$MIBEE_CACHE"
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
