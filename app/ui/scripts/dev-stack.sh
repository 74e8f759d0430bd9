#!/bin/bash
# Owns a throw-away development stack for working on the UI: a fake H.264 camera (fixtures/
# fakecam.py), the debug daemon (which reads app/ui/dist at run time, so `npm run build` is
# picked up on reload) with its data under $DIR, listening on 127.0.0.1:$PORT, and that camera
# added and recording. Prints the base URL, the camera's RTSP URL and the password; stops both
# on Ctrl-C.   Usage: scripts/dev-stack.sh [PORT=9191] [DIR=/tmp/mibee-ui-dev]
set -euo pipefail
PORT=${1:-9191}
DIR=${2:-/tmp/mibee-ui-dev}
HERE=$(cd "$(dirname "$0")/../.." && pwd) # app/
BIN=${MIBEE_BIN:-${CARGO_TARGET_DIR:-$HERE/../target}/debug/mibee-nvr}
PASSWORD=${MIBEE_UI_PASSWORD:-dev-password}
mkdir -p "$DIR"
cam_out="$DIR/fakecam.ready"
/usr/bin/python3 "$HERE/tests/fixtures/fakecam.py" --base-port 0 --cam codec=h264,gop=10 >"$cam_out" 2>/dev/null &
CAM=$!
trap 'kill $CAM $NVR 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 100); do grep -q READY "$cam_out" && break; sleep 0.1; done
RTSP=$(sed -n 's/^READY //p' "$cam_out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["cams"][0]["url"])')
HASH=$("$BIN" --config "$DIR/mibee-nvr.toml" hash-password "$PASSWORD")
if [ ! -f "$DIR/mibee-nvr.toml" ] || ! grep -q password_hash "$DIR/mibee-nvr.toml"; then
  printf '[server]\nlisten = "127.0.0.1:%s"\n\n[auth]\npassword_hash = '"'"'%s'"'"'\n' "$PORT" "$HASH" >"$DIR/mibee-nvr.toml"
fi
"$BIN" --config "$DIR/mibee-nvr.toml" serve >"$DIR/daemon.log" 2>&1 &
NVR=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/api/health" >/dev/null && break; sleep 0.2; done
if curl -fs -u "admin:$PASSWORD" "http://127.0.0.1:$PORT/api/cameras/dev-camera" >/dev/null; then
  # a second run: the camera exists; point it at the new fake camera
  curl -fs -u "admin:$PASSWORD" -H 'Content-Type: application/json' -X PUT "http://127.0.0.1:$PORT/api/cameras/dev-camera" \
    -d "{\"url\":\"$RTSP\"}" >/dev/null
else
  curl -fs -u "admin:$PASSWORD" -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/api/cameras" \
    -d "{\"name\":\"Dev camera\",\"protocol\":\"rtsp\",\"url\":\"$RTSP\",\"encoding\":\"h264\"}" >/dev/null
fi
echo "base=http://127.0.0.1:$PORT rtsp=$RTSP user=admin password=$PASSWORD log=$DIR/daemon.log"
wait $NVR
