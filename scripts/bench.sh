#!/usr/bin/env bash
# Benchmarks (`make bench`), each reported against a peer measured side by side in the same
# run, or against the goal in design/goals.md:
#  1. recording: N fake 1080p ~4 Mbit/s cameras, mibee-nvr vs one ffmpeg per camera
#     (CPU per stream-hour ratio, RSS, write amplification, files per camera-day);
#  2. recordings list: pages of 50 with 1,000,000 recordings indexed (p99);
#  3. auth: verification cache vs argon2 on every request;
#  4. live view: cold start and glass-to-glass vs ffmpeg's HLS muxer (bench_live.py).
# BENCH_CAMERAS (default 8) and BENCH_SECONDS (default 120) size the recording run.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/var/cache/mibee-nvr/target}
# The daemon as the image ships it: release profile, glibc linked statically (the boxes'
# builds are `+crt-static`; a dynamic build would add the shared libraries' pages to RSS).
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release -p mibee-nvr --target x86_64-unknown-linux-gnu
BIN="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release/mibee-nvr"
python3 scripts/bench_recording.py "$BIN" "${BENCH_CAMERAS:-8}" "${BENCH_SECONDS:-120}"
cargo bench -p mibee-nvr --bench recordings_list
python3 scripts/bench_auth.py "$BIN"
python3 scripts/bench_live.py "$BIN" "${BENCH_LIVE_SECONDS:-10}"
