# MiBee NVR. `make run` starts the daemon on ./data; `make test` runs everything CI runs.
# One shared cargo target dir outside the clone keeps repeated builds fast.

export CARGO_TARGET_DIR ?= /var/cache/mibee-nvr/target
CARGO ?= cargo
CROSS_TARGETS := aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf
BIN_DEBUG := $(CARGO_TARGET_DIR)/debug/mibee-nvr

.PHONY: all setup run build test unit-test lint fmt schemathesis cross cross-smoke \
        cross-smoke-aarch64 bench clean help

all: build

help: ## This list
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

setup: ## Install what a fresh Debian 12 machine lacks (apt, rustup targets, test tools)
	./scripts/setup-dev.sh

run: ## Run the daemon: config ./data/mibee-nvr.toml (created with defaults), :9090
	$(CARGO) run --release -p mibee-nvr -- --config ./data/mibee-nvr.toml serve

build: ## Debug build for the host
	$(CARGO) build -p mibee-nvr

lint: ## rustfmt check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

unit-test: ## Unit and integration tests (the daemon as a real process, real HTTP)
	$(CARGO) test --workspace

schemathesis: build ## Fuzz the served OpenAPI document with schemathesis
	./scripts/schemathesis.sh $(BIN_DEBUG)

cross: ## Release binaries for aarch64 and armv7 (glibc)
	for t in $(CROSS_TARGETS); do $(CARGO) build --release -p mibee-nvr --target $$t || exit 1; done
	@for t in $(CROSS_TARGETS); do ls -l $(CARGO_TARGET_DIR)/$$t/release/mibee-nvr; done

cross-smoke: cross ## Run both cross binaries under qemu-user and check /api/health
	for t in $(CROSS_TARGETS); do ./scripts/cross-smoke.sh $$t || exit 1; done

cross-smoke-aarch64: ## CI's cross check: aarch64 release build + qemu smoke run
	$(CARGO) build --release -p mibee-nvr --target aarch64-unknown-linux-gnu
	./scripts/cross-smoke.sh aarch64-unknown-linux-gnu

test: setup lint unit-test schemathesis cross-smoke-aarch64 ## Everything CI runs

bench: setup ## Benchmarks (ratios against the named peer where the goals name one)
	./scripts/bench.sh

clean:
	$(CARGO) clean
