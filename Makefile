# MiBee NVR. `make run` starts the daemon on ./data; `make test` runs everything CI runs.
# One shared cargo target dir outside the clone keeps repeated builds fast.

export CARGO_TARGET_DIR ?= /var/cache/mibee-nvr/target
CARGO ?= cargo
CROSS_TARGETS := aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf
BIN_DEBUG := $(CARGO_TARGET_DIR)/debug/mibee-nvr

.PHONY: all setup setup-build run build test unit-test lint fmt schemathesis cross cross-smoke \
        cross-smoke-aarch64 bench fuzz ui ui-test clean help debs app-image image-qemu ota-fixtures \
        hw-test-qemu image-rpi4 hw-test-raspi3b br-cargo-fetch image-armv7 hw-test-armv7 \
        app-image-armv7 image-rpi3

all: build

help: ## This list
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup: setup-build ## Install what a fresh Debian 12 machine lacks (apt, Node.js, rustup targets, test tools), then check it
	./scripts/setup-dev.sh
	./scripts/check-setup-packages.sh

# What building needs (C/C++ toolchain, libclang, Node.js, rustfmt/clippy): a few dpkg-query
# calls when all of it is there, so every build runs it first and `make run` works on a fresh
# machine.
setup-build: ## Install only what `make build` / `make run` need (quick when present)
	./scripts/setup-dev.sh --build-only

UI_DIR := app/ui
# The web UI (app/ui, Preact + Vite) built into app/ui/dist, which the daemon embeds (release)
# or reads (debug). Rebuilt when a source file is newer than the build.
UI_SOURCES := $(shell find $(UI_DIR)/src $(UI_DIR)/index.html $(UI_DIR)/vite.config.ts $(UI_DIR)/package-lock.json -type f 2>/dev/null)
$(UI_DIR)/dist/index.html: $(UI_SOURCES) | setup-build
	cd $(UI_DIR) && (cmp -s package-lock.json node_modules/.installed-lock.json || \
	  (npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.installed-lock.json)) \
	  && npm run build
ui: $(UI_DIR)/dist/index.html ## Build the web UI (npm) into app/ui/dist

ui-test: ui ## The web UI's unit tests (Vitest)
	cd $(UI_DIR) && npm test

run: setup-build ui ## Run the daemon: config ./data/mibee-nvr.toml (created with defaults), :9090
	$(CARGO) run --release -p mibee-nvr -- --config ./data/mibee-nvr.toml serve

build: setup-build ui ## Debug build for the host
	$(CARGO) build -p mibee-nvr

lint: setup-build ## rustfmt check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

unit-test: ui ## Unit and integration tests (the daemon as a real process, real HTTP)
	$(CARGO) test --workspace

schemathesis: build ## Fuzz the served OpenAPI document with schemathesis
	./scripts/schemathesis.sh $(BIN_DEBUG)

cross: ui ## Release binaries for aarch64 and armv7 (glibc)
	for t in $(CROSS_TARGETS); do $(CARGO) build --release -p mibee-nvr --target $$t || exit 1; done
	@for t in $(CROSS_TARGETS); do ls -l $(CARGO_TARGET_DIR)/$$t/release/mibee-nvr; done

cross-smoke: cross ## Run both cross binaries under qemu-user and check /api/health
	for t in $(CROSS_TARGETS); do ./scripts/cross-smoke.sh $$t || exit 1; done

cross-smoke-aarch64: ui ## CI's cross check: aarch64 release build + qemu smoke run
	$(CARGO) build --release -p mibee-nvr --target aarch64-unknown-linux-gnu
	./scripts/cross-smoke.sh aarch64-unknown-linux-gnu

test: setup lint ui-test unit-test schemathesis cross-smoke-aarch64 hw-test-qemu hw-test-armv7 \
      image-rpi4 image-rpi3 ## Everything CI runs (the Pi images are built, not booted)

FUZZ_RUNS ?= 3000000
# onvif_reply (ONVIF replies) or media_file (media files found on disk: the fragment walker)
FUZZ_TARGET ?= onvif_reply
FUZZ_CORPUS ?= /var/cache/mibee-nvr/fuzz-corpus/$(FUZZ_TARGET)
fuzz: ## Fuzz FUZZ_TARGET (onvif_reply or media_file; cargo-fuzz, nightly): FUZZ_RUNS executions
	rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	mkdir -p $(FUZZ_CORPUS)
	cd app && CARGO_TARGET_DIR=/var/cache/mibee-nvr/fuzz-target cargo +nightly fuzz run $(FUZZ_TARGET) \
	  $(FUZZ_CORPUS) fuzz/seeds/$(FUZZ_TARGET) -- -runs=$(FUZZ_RUNS) -max_len=65536 -rss_limit_mb=1024 \
	  -print_final_stats=1

bench: setup ## Benchmarks (ratios against the named peer where the goals name one)
	./scripts/bench.sh

clean:
	$(CARGO) clean
	rm -rf out

# ---- Firmware, offline path (Debian packages + our overlay; see design/firmware.md) ----
# Outputs under out/. The image's daemon is the static aarch64 glibc build (the one
# cross-smoke-aarch64 runs; C/C++ dependencies such as openh264 need the Debian cross g++).
IMG_TARGET := aarch64-unknown-linux-gnu
APPBIN     := $(CARGO_TARGET_DIR)/$(IMG_TARGET)/release/mibee-nvr
DEBS       ?= out/debs
# The kernel ABI is resolved when the packages are downloaded (the one Debian's
# linux-image-arm64 / linux-image-armmp metapackage depends on now: a pinned ABI such as
# 6.1.0-50 leaves the archive at the next point release) and recorded in out/kver-* and in
# the image (/etc/nvr/kernel-version). `make KVER=… KVER7=…` overrides it.
KVER       ?= $(shell cat out/kver-arm64 2>/dev/null)
KROOT      ?= out/kroot-arm64
BB_ARM64   ?= out/bb-arm64/bin/busybox
HOSTBB     ?= $(CURDIR)/out/bb-amd64/bin/busybox
FW_VERSION ?= 0.1.0
Q          := out/qemu
# Update signing: a development key made on first use (release keys stay offline; see
# design/firmware.md). The image trusts UPDATE_PUB.
UPDATE_KEY ?= out/update-dev.key
UPDATE_PUB ?= out/update-dev.pub
HOST_BIN   := $(CARGO_TARGET_DIR)/debug/mibee-nvr
export UPDATE_PUB
export HOSTBB
APT_NF = -o Dir::Etc::SourceList=$(CURDIR)/out/non-free-firmware.list \
         -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists=$(CURDIR)/out/apt-lists \
         -o Dir::Cache=$(CURDIR)/out/apt-cache

debs: out/.debs out/.debs-armhf ## Kernel, busybox, U-Boot, RPi firmware from Debian (apt only)
out/.debs:
	mkdir -p $(DEBS) out/apt-lists/partial out/apt-cache/archives/partial
	$(if $(filter command line environment,$(origin KVER)),echo $(KVER),./scripts/kernel-abi.sh arm64 arm64) > out/kver-arm64
	cd $(DEBS) && apt-get download linux-image-$$(cat $(CURDIR)/out/kver-arm64):arm64 busybox-static:arm64 busybox-static:amd64 u-boot-qemu
	image/apt/mk-nonfree-list.sh out/non-free-firmware.list
	apt-get $(APT_NF) update >/dev/null && cd $(DEBS) && apt-get $(APT_NF) download raspi-firmware
	rm -rf $(KROOT) out/bb-arm64 out/bb-amd64 out/u-boot-qemu out/raspi-firmware
	dpkg-deb -x $(DEBS)/linux-image-$$(cat out/kver-arm64)_*_arm64.deb $(KROOT)
	dpkg-deb -x $(DEBS)/busybox-static_*_arm64.deb out/bb-arm64
	dpkg-deb -x $(DEBS)/busybox-static_*_amd64.deb out/bb-amd64
	dpkg-deb -x $(DEBS)/u-boot-qemu_*_all.deb out/u-boot-qemu
	dpkg-deb -x $(DEBS)/raspi-firmware_*_all.deb out/raspi-firmware
	touch $@

KVER7    ?= $(shell cat out/kver-armhf 2>/dev/null)
KROOT7   ?= out/kroot-armhf
BB_ARMHF ?= out/bb-armhf/bin/busybox
out/.debs-armhf:
	mkdir -p $(DEBS)
	$(if $(filter command line environment,$(origin KVER7)),echo $(KVER7),./scripts/kernel-abi.sh armhf armmp) > out/kver-armhf
	cd $(DEBS) && apt-get download linux-image-$$(cat $(CURDIR)/out/kver-armhf):armhf busybox-static:armhf u-boot-rpi:armhf
	rm -rf $(KROOT7) out/bb-armhf out/u-boot-rpi-armhf
	dpkg-deb -x $(DEBS)/linux-image-$$(cat out/kver-armhf)_*_armhf.deb $(KROOT7)
	dpkg-deb -x $(DEBS)/busybox-static_*_armhf.deb out/bb-armhf
	dpkg-deb -x $(DEBS)/u-boot-rpi_*_armhf.deb out/u-boot-rpi-armhf
	touch $@

APPBIN7 := $(CARGO_TARGET_DIR)/armv7-unknown-linux-gnueabihf/release/mibee-nvr
app-image-armv7: ui ## The armv7 daemon for the image: static glibc release build
	$(CARGO) build --release -p mibee-nvr --target armv7-unknown-linux-gnueabihf

Q7 := out/qemu-armv7
image-armv7: debs app-image-armv7 $(UPDATE_PUB) ## armv7 disk image (Pi 3 class) for QEMU virt: out/qemu-armv7/
	rm -rf $(Q7)/stage && mkdir -p $(Q7)/stage/boot $(Q7)/stage/bootfs
	image/mk-initramfs.sh $(KROOT7) $(KVER7) $(BB_ARMHF) board/qemu-armv7-virt/initramfs-modules board/qemu-armv7-virt/overlay/etc/nvr/slots.conf $(Q7)/stage/bootfs/initrd.img
	BOARD=qemu-armv7-virt FW_VERSION=$(FW_VERSION) KERNEL_VERSION=$(KVER7) image/mk-rootfs.sh $(BB_ARMHF) $(APPBIN7) $(Q7)/stage/rootfs.squashfs overlay/common board/qemu-armv7-virt/overlay
	cp $(KROOT7)/boot/vmlinuz-$(KVER7) $(Q7)/stage/bootfs/zImage
	cp board/qemu-aarch64-virt/bootstate.txt $(Q7)/stage/boot/
	image/mk-disk.sh board/qemu-aarch64-virt $(Q7)/stage $(Q7)
	cp $(Q7)/stage/bootfs/zImage $(Q7)/stage/bootfs/initrd.img $(Q7)/

RPI3 := out/rpi3
image-rpi3: debs app-image-armv7 $(UPDATE_PUB) ## Raspberry Pi 3 SD image (armv7, U-Boot A/B) from Debian packages (untested on hardware)
	rm -rf $(RPI3)/stage && mkdir -p $(RPI3)/stage/boot $(RPI3)/stage/bootfs
	cd out/raspi-firmware/usr/lib/raspi-firmware && cp bootcode.bin start.elf fixup.dat $(CURDIR)/$(RPI3)/stage/boot/
	cp out/u-boot-rpi-armhf/usr/lib/u-boot/rpi_3_32b/u-boot.bin $(RPI3)/stage/boot/
	cp board/raspberrypi3/config.txt board/raspberrypi3/bootstate.txt $(RPI3)/stage/boot/
	cp $(KROOT7)/usr/lib/linux-image-$(KVER7)/bcm2837-rpi-3-b.dtb $(RPI3)/stage/boot/
	mkimage -A arm -T script -C none -d board/raspberrypi3/boot.cmd $(RPI3)/stage/boot/boot.scr >/dev/null
	cp $(KROOT7)/boot/vmlinuz-$(KVER7) $(RPI3)/stage/bootfs/zImage
	image/mk-initramfs.sh $(KROOT7) $(KVER7) $(BB_ARMHF) board/raspberrypi-common/initramfs-modules board/raspberrypi-common/overlay/etc/nvr/slots.conf $(RPI3)/stage/bootfs/initrd.img
	BOARD=raspberrypi3 FW_VERSION=$(FW_VERSION) KERNEL_VERSION=$(KVER7) image/mk-rootfs.sh $(BB_ARMHF) $(APPBIN7) $(RPI3)/stage/rootfs.squashfs overlay/common board/raspberrypi-common/overlay
	image/mk-disk.sh board/raspberrypi3 $(RPI3)/stage $(RPI3)

hw-test-armv7: image-armv7 ## The armv7 image boots under qemu-system-arm and answers the API
	timeout 300 python3 hw-tests/qemu_test.py --image $(Q7)/disk.img --uboot none --armv7 $(Q7)/zImage $(Q7)/initrd.img

app-image: ui ## The daemon as the image runs it: static aarch64 glibc release build
	$(CARGO) build --release -p mibee-nvr --target $(IMG_TARGET)

$(UPDATE_PUB): | build
	mkdir -p out && $(HOST_BIN) update-keygen $(UPDATE_KEY) > $@

image-qemu: debs app-image $(UPDATE_PUB) ## Disk image for QEMU virt (aarch64): out/qemu/disk.img
	rm -rf $(Q)/stage && mkdir -p $(Q)/stage/boot $(Q)/stage/bootfs
	image/mk-initramfs.sh $(KROOT) $(KVER) $(BB_ARM64) board/qemu-aarch64-virt/initramfs-modules board/qemu-aarch64-virt/overlay/etc/nvr/slots.conf $(Q)/stage/bootfs/initrd.img
	BOARD=qemu-aarch64-virt FW_VERSION=$(FW_VERSION) KERNEL_VERSION=$(KVER) image/mk-rootfs.sh $(BB_ARM64) $(APPBIN) $(Q)/stage/rootfs.squashfs overlay/common board/qemu-aarch64-virt/overlay
	cp $(KROOT)/boot/vmlinuz-$(KVER) $(Q)/stage/bootfs/Image
	cp board/qemu-aarch64-virt/bootstate.txt $(Q)/stage/boot/
	mkimage -A arm64 -T script -C none -d board/qemu-aarch64-virt/boot.cmd $(Q)/stage/boot/boot.scr >/dev/null
	image/mk-disk.sh board/qemu-aarch64-virt $(Q)/stage $(Q)

# OTA fixtures, as signed bundles: the same daemon as firmware 0.2.0; a firmware whose
# daemon never starts (rollback); the 0.2.0 rootfs signed for another board, and signed
# with another key (both must be refused).
ota-fixtures: image-qemu
	BOARD=qemu-aarch64-virt FW_VERSION=0.2.0 image/mk-rootfs.sh $(BB_ARM64) $(APPBIN) $(Q)/rootfs-v2.squashfs overlay/common board/qemu-aarch64-virt/overlay
	BOARD=qemu-aarch64-virt FW_VERSION=0.3.0-broken image/mk-rootfs.sh $(BB_ARM64) hw-tests/broken-daemon.sh $(Q)/rootfs-bad.squashfs overlay/common board/qemu-aarch64-virt/overlay
	$(HOST_BIN) update-bundle --key $(UPDATE_KEY) --version 0.2.0 --board qemu-aarch64-virt --rootfs $(Q)/rootfs-v2.squashfs --out $(Q)/update-v2.bundle
	$(HOST_BIN) update-bundle --key $(UPDATE_KEY) --version 0.3.0-broken --board qemu-aarch64-virt --rootfs $(Q)/rootfs-bad.squashfs --out $(Q)/update-bad.bundle
	$(HOST_BIN) update-bundle --key $(UPDATE_KEY) --version 0.2.0 --board raspberrypi4-64 --rootfs $(Q)/rootfs-v2.squashfs --out $(Q)/update-wrong-board.bundle
	$(HOST_BIN) update-keygen out/update-other.key >/dev/null
	$(HOST_BIN) update-bundle --key out/update-other.key --version 0.2.0 --board qemu-aarch64-virt --rootfs $(Q)/rootfs-v2.squashfs --out $(Q)/update-other-key.bundle

hw-test-qemu: ota-fixtures ## Boot-level tests of the QEMU image (boot, ro root, data, watchdog, A/B, rollback)
	timeout 1200 python3 hw-tests/qemu_test.py --image $(Q)/disk.img --uboot out/u-boot-qemu/usr/lib/u-boot/qemu_arm64/u-boot.bin

RPI4 := out/rpi4
image-rpi4: debs app-image $(UPDATE_PUB) ## Raspberry Pi 4/5 SD image from Debian packages (untested on hardware)
	rm -rf $(RPI4)/stage && mkdir -p $(RPI4)/stage/boot $(RPI4)/stage/bootfs
	cp board/raspberrypi4-64/autoboot.txt $(RPI4)/stage/boot/
	cp out/raspi-firmware/usr/lib/raspi-firmware/start4.elf out/raspi-firmware/usr/lib/raspi-firmware/fixup4.dat $(RPI4)/stage/bootfs/
	cp board/raspberrypi4-64/config.txt board/raspberrypi4-64/cmdline.txt $(RPI4)/stage/bootfs/
	cp $(KROOT)/usr/lib/linux-image-$(KVER)/broadcom/bcm2711-rpi-4-b.dtb $(RPI4)/stage/bootfs/
	cp $(KROOT)/boot/vmlinuz-$(KVER) $(RPI4)/stage/bootfs/Image
	image/mk-initramfs.sh $(KROOT) $(KVER) $(BB_ARM64) board/raspberrypi-common/initramfs-modules board/raspberrypi-common/overlay/etc/nvr/slots.conf $(RPI4)/stage/bootfs/initrd.img
	BOARD=raspberrypi4-64 FW_VERSION=$(FW_VERSION) KERNEL_VERSION=$(KVER) image/mk-rootfs.sh $(BB_ARM64) $(APPBIN) $(RPI4)/stage/rootfs.squashfs overlay/common board/raspberrypi-common/overlay
	image/mk-disk.sh board/raspberrypi4-64 $(RPI4)/stage $(RPI4)

hw-test-raspi3b: image-rpi4 ## The Pi SD layout on QEMU's raspi3b model (Pi DTB, SD card)
	timeout 300 python3 hw-tests/qemu_test.py --image $(RPI4)/disk.img --uboot none --raspi3b $(RPI4)/disk.img $(KROOT)/boot/vmlinuz-$(KVER) $(KROOT)/usr/lib/linux-image-$(KVER)/broadcom/bcm2837-rpi-3-b.dtb $(RPI4)/stage/bootfs/initrd.img

# ---- Firmware, Buildroot path (a connected machine; BR_SRC = a Buildroot checkout) ----
BR_SRC ?= ../buildroot
BR_DL  ?= $(CURDIR)/out/br-dl
buildroot-defconfig-%: ## kconfig only for board % (qemu_aarch64_virt, rpi4_64, rpi3): offline
	$(MAKE) -C $(BR_SRC) BR2_EXTERNAL=$(CURDIR)/buildroot O=$(CURDIR)/out/br-$* BR2_DL_DIR=$(BR_DL) mibee_$*_defconfig
br-cargo-fetch: ## Fill the CARGO_HOME Buildroot's cargo-package builds from (--offline --locked)
	CARGO_HOME=$(BR_DL)/br-cargo-home $(CARGO) fetch --locked
buildroot-%: buildroot-defconfig-% br-cargo-fetch ## Full Buildroot build for board % (needs the network)
	$(MAKE) -C $(BR_SRC) O=$(CURDIR)/out/br-$* BR2_DL_DIR=$(BR_DL)
