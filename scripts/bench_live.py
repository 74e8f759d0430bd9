#!/usr/bin/env python3
"""Live-view benchmark: our daemon side by side with ffmpeg's HLS muxer, in one run.

One fake 720p25 H.264 camera (app/tests/fixtures/fakecam.py, gop 25) that paints its capture
clock into every frame (overlay=clock), recorded by the daemon. Reported:

1. Cold start: playlist request -> first segment received, for the recording camera (the live
   stream is ended with DELETE before each try, at random phases of the GOP), median and p95,
   goal <= 1 s. Peer: `ffmpeg -i rtsp://... -c copy -f hls -hls_time 1` started cold, until its
   playlist names a segment (what an NVR that spawns ffmpeg per viewer does).
2. Glass-to-glass: capture clock (read back from the pixels) -> frame shown in headless
   Chromium, median and p95, goal <= 1 s, for our WebSocket fMP4 path, our LL-HLS (hls.js),
   and ffmpeg's HLS (hls.js, served by a static file server) as the peer.

usage: bench_live.py MIBEE_BIN [SECONDS_PER_LATENCY_RUN]
"""
import functools, http.server, json, os, random, shutil, statistics, subprocess, sys
import tempfile, threading, time, urllib.request

BIN = sys.argv[1]
SECS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
COLD_TRIES = 20
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
FAKECAM = os.path.join(ROOT, "app", "tests", "fixtures", "fakecam.py")
BROWSER = os.path.join(ROOT, "app", "tests", "browser")


def q(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(p * len(s)))]


def request(method, url, timeout=20):
    req = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.read()


def start_fakecam():
    p = subprocess.Popen(["/usr/bin/python3", FAKECAM, "--base-port", "0", "--cam",
                          "codec=h264,size=1280x720,fps=25,gop=25,bitrate=2000,overlay=clock"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if line.startswith("READY "):
            threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
            return p, json.loads(line[6:])["cams"][0]["url"]
    raise SystemExit("fakecam did not start")


def start_daemon(work, url):
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "mibee-nvr.toml"), "w") as f:
        f.write(f'[[cameras]]\nid = "cam"\nname = "cam"\nprotocol = "rtsp"\nencoding = "h264"\nurl = "{url}"\n')
    ready = os.path.join(work, "ready")
    env = dict(os.environ, MIBEE_LOOPBACK_CAMERAS_ONLY="true", RUST_LOG="warn")
    p = subprocess.Popen([BIN, "--config", os.path.join(work, "mibee-nvr.toml"), "serve", "--listen",
                          "127.0.0.1:0", "--ready-file", ready], env=env,
                         stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "log"), "w"))
    for _ in range(300):
        if os.path.exists(ready) and open(ready).read().strip():
            return p, "http://" + open(ready).read().strip()
        time.sleep(0.1)
    raise SystemExit("daemon did not start")


def wait_recording(base):
    for _ in range(200):
        if json.loads(request("GET", base + "/api/cameras/cam"))["status"] == "recording":
            return
        time.sleep(0.1)
    raise SystemExit("camera not recording")


def ours_cold(base):
    out = []
    for _ in range(COLD_TRIES):
        request("DELETE", base + "/api/cameras/cam/stream")
        time.sleep(random.uniform(0.2, 1.2))
        t0 = time.monotonic()
        playlist = request("GET", base + "/api/cameras/cam/stream/stream.m3u8").decode()
        first = next(l for l in playlist.splitlines() if l.startswith("segment_"))
        seg = request("GET", base + "/api/cameras/cam/stream/" + first)
        assert seg[:1] == b"\x47", "an MPEG-TS segment"
        out.append(time.monotonic() - t0)
    return out


def ffmpeg_hls(url, outdir):
    os.makedirs(outdir, exist_ok=True)
    return subprocess.Popen(["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-c", "copy",
                             "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
                             "-hls_flags", "delete_segments", os.path.join(outdir, "stream.m3u8")],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ffmpeg_cold(url, work):
    out = []
    for i in range(5):
        d = os.path.join(work, f"cold{i}")
        t0 = time.monotonic()
        p = ffmpeg_hls(url, d)
        pl = os.path.join(d, "stream.m3u8")
        while time.monotonic() - t0 < 30:
            if os.path.exists(pl) and ".ts" in open(pl).read():
                break
            time.sleep(0.01)
        out.append(time.monotonic() - t0)
        p.terminate()
        p.wait()
        time.sleep(random.uniform(0.2, 1.2))
    return out


def latency(mode, url):
    r = subprocess.run(["node", os.path.join(BROWSER, "live_latency.cjs"), f"--{mode}", url,
                        "--seconds", str(SECS)], capture_output=True, text=True, timeout=SECS + 90)
    try:
        v = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise SystemExit(f"live_latency.cjs: {r.stdout} {r.stderr}")
    if not v.get("ok"):
        raise SystemExit(f"latency run failed: {v}")
    return v


def main():
    work = tempfile.mkdtemp(prefix="bench-live-")
    cam, url = start_fakecam()
    daemon, base = start_daemon(os.path.join(work, "data"), url)
    peer = srv = None
    try:
        wait_recording(base)
        time.sleep(2)
        ours = ours_cold(base)
        theirs = ffmpeg_cold(url, work)
        print(f"live cold start (playlist request -> first segment), recording camera, {len(ours)} tries:")
        print(f"  mibee-nvr median {statistics.median(ours)*1000:.0f} ms, p95 {q(ours, .95)*1000:.0f} ms (goal <= 1000 ms)")
        print(f"  ffmpeg hls median {statistics.median(theirs)*1000:.0f} ms, p95 {q(theirs, .95)*1000:.0f} ms ({len(theirs)} tries)")
        print(f"  ratio mibee/ffmpeg (median): {statistics.median(ours)/statistics.median(theirs):.3f}")

        ws = latency("ws", base.replace("http://", "ws://") + "/api/cameras/cam/live")
        ll = latency("hls", base + "/api/cameras/cam/stream/stream.m3u8")
        peer_dir = os.path.join(work, "peer")
        peer = ffmpeg_hls(url, peer_dir)
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *a):
                pass
        handler = functools.partial(Quiet, directory=peer_dir)
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        time.sleep(4)
        ff = latency("hls", f"http://127.0.0.1:{srv.server_address[1]}/stream.m3u8")
        print(f"glass-to-glass (capture clock in the pixels -> frame shown in Chromium), {SECS} s each:")
        for name, v in [("mibee-nvr websocket fMP4", ws), ("mibee-nvr LL-HLS (hls.js)", ll),
                        ("ffmpeg hls (hls.js)", ff)]:
            print(f"  {name:28s} median {v['median_ms']} ms, p95 {v['p95_ms']} ms, {v['frames']} frames")
        print(f"  ratio websocket/ffmpeg-hls (median): {ws['median_ms']/ff['median_ms']:.3f}; "
              f"LL-HLS/ffmpeg-hls: {ll['median_ms']/ff['median_ms']:.3f}")
        ok = statistics.median(ours) <= 1.0 and q(ours, .95) <= 1.0 and ws["median_ms"] <= 1000 and ws["p95_ms"] <= 1000
        print("live goals:", "met" if ok else "NOT met")
    finally:
        if srv:
            srv.shutdown()
        for p in (peer, daemon, cam):
            if p:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
