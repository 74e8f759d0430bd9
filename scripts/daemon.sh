# Shell helpers (sourced) to run a mibee-nvr binary on an ephemeral 127.0.0.1 port with a
# throw-away data dir: start_daemon BIN DIR [RUNNER...] sets DAEMON_PID and DAEMON_ADDR.

start_daemon() {
  local bin=$1 dir=$2; shift 2
  mkdir -p "$dir"
  rm -f "$dir/ready"
  # Tests never let the daemon reach anything but loopback cameras (no DNS either).
  MIBEE_LOOPBACK_CAMERAS_ONLY=true "$@" "$bin" --config "$dir/mibee-nvr.toml" serve --listen 127.0.0.1:0 --ready-file "$dir/ready" \
    >"$dir/daemon.log" 2>&1 &
  DAEMON_PID=$!
  for _ in $(seq 1 300); do
    if [ -s "$dir/ready" ]; then DAEMON_ADDR=$(cat "$dir/ready"); return 0; fi
    if ! kill -0 "$DAEMON_PID" 2>/dev/null; then cat "$dir/daemon.log"; echo "daemon died" >&2; return 1; fi
    sleep 0.1
  done
  echo "daemon did not become ready" >&2; cat "$dir/daemon.log"; return 1
}

stop_daemon() {
  [ -n "${DAEMON_PID:-}" ] || return 0
  kill -TERM "$DAEMON_PID" 2>/dev/null || true
  wait "$DAEMON_PID" 2>/dev/null || true
  DAEMON_PID=""
}
