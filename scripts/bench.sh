#!/usr/bin/env bash
# Benchmarks, each reported as a ratio of two things measured side by side in one run.
# Recording benchmarks (against ffmpeg) arrive with the recording engine.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/cache/mibee-nvr/target}
cargo build --release -p mibee-nvr
python3 scripts/bench_auth.py "$CARGO_TARGET_DIR/release/mibee-nvr"
