#!/usr/bin/env python3
"""Recording benchmark: our daemon side by side with ffmpeg, in one run.

N fake 1080p ~4 Mbps H.264 cameras (app/tests/fixtures/filecam.py replaying a pre-encoded
file, no encoding cost) are recorded at the same time by
  - one mibee-nvr daemon recording all N cameras (TCP, 30 s recordings), and
  - N `ffmpeg -rtsp_transport tcp -i URL -c copy -f segment -segment_time 30` processes.
Over the same measured window it reports, for both: CPU seconds per stream-hour (from
/proc/PID/stat) and their ratio (goal <= 0.35), the daemon's RSS (goal <= 24 MiB with 8
cameras), write amplification = bytes written (/proc/PID/io write_bytes) / video bytes
received (goal <= 1.005), and files created per camera-day (goal <= 48).

usage: bench_recording.py MIBEE_BIN [N_CAMERAS] [SECONDS]
"""
import json, os, re, signal, subprocess, sys, tempfile, time, urllib.request

BIN = sys.argv[1]
N = int(sys.argv[2]) if len(sys.argv) > 2 else 8
SECS = int(sys.argv[3]) if len(sys.argv) > 3 else 60
WARMUP = 8
HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "app", "tests", "fixtures", "filecam.py")
CACHE = os.environ.get("MIBEE_CACHE", "/var/cache/mibee-nvr")
TICK = os.sysconf("SC_CLK_TCK")


def media_file():
    length = SECS + WARMUP + 30
    path = os.path.join(CACHE, "bench", f"bench-1080p-4M-{length}s.mp4")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        print(f"encoding {path} (once) ...", flush=True)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=size=1920x1080:rate=25,noise=alls=10:allf=t+u",
                        "-t", str(length), "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
                        "-bf", "0", "-b:v", "4M", "-maxrate", "4.5M", "-bufsize", "8M",
                        "-pix_fmt", "yuv420p", path + ".tmp.mp4"], check=True)
        os.rename(path + ".tmp.mp4", path)
    return path


def cpu_s(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def write_bytes(pid):
    for line in open(f"/proc/{pid}/io"):
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def status_kb(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def metric(addr, name):
    text = urllib.request.urlopen(f"http://{addr}/metrics").read().decode()
    m = re.search(rf"^{re.escape(name)} (\d+)", text, re.M)
    return int(m.group(1)) if m else 0


def main():
    path = media_file()
    work = tempfile.mkdtemp(prefix="mibee-bench-")
    cams = subprocess.Popen(["/usr/bin/python3", FIXTURE, path, str(2 * N), "0"],
                            stdout=subprocess.PIPE, text=True)
    line = cams.stdout.readline()
    urls = json.loads(line.split(" ", 1)[1])["urls"]
    ours, theirs = urls[:N], urls[N:]
    cfg = os.path.join(work, "data", "mibee-nvr.toml")
    os.makedirs(os.path.dirname(cfg))
    with open(cfg, "w") as f:
        # Merge on and eager (every 10 s, no minimum age): its index writes count in the
        # write amplification.
        f.write('[storage]\nsegment_duration = "30s"\n\n[merge]\nenabled = true\n'
                'check_interval = "10s"\nwindow_size = "1h"\nmin_segment_age = "0s"\n'
                'min_segments_to_merge = 2\n\n')
        for i, u in enumerate(ours):
            f.write(f'[[cameras]]\nid = "cam{i}"\nname = "cam{i}"\nprotocol = "rtsp"\n'
                    f'encoding = "h264"\nurl = "{u}"\n')
    ready = os.path.join(work, "ready")
    daemon = subprocess.Popen([BIN, "--config", cfg, "serve", "--listen", "127.0.0.1:0",
                               "--ready-file", ready], stderr=subprocess.DEVNULL,
                              env=dict(os.environ, RUST_LOG="warn", MIBEE_LOOPBACK_CAMERAS_ONLY="true"))
    ffdir = os.path.join(work, "ffmpeg")
    os.makedirs(ffdir)
    ffs = [subprocess.Popen(["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", u, "-c", "copy",
                             "-f", "segment", "-segment_time", "30", "-reset_timestamps", "1",
                             os.path.join(ffdir, f"cam{i}_%05d.mp4")],
                            stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
           for i, u in enumerate(theirs)]
    try:
        for _ in range(200):
            if os.path.exists(ready) and open(ready).read():
                break
            time.sleep(0.05)
        addr = open(ready).read()
        time.sleep(WARMUP)
        c0, w0, m0 = cpu_s(daemon.pid), write_bytes(daemon.pid), metric(addr, "mibee_media_received_bytes")
        f0 = [(cpu_s(p.pid), write_bytes(p.pid)) for p in ffs]
        t0 = time.time()
        rss_samples = []
        while time.time() - t0 < SECS:
            time.sleep(min(1.0, max(0.0, SECS - (time.time() - t0))))
            rss_samples.append(status_kb(daemon.pid, "VmRSS"))
        elapsed = time.time() - t0
        c1, w1, m1 = cpu_s(daemon.pid), write_bytes(daemon.pid), metric(addr, "mibee_media_received_bytes")
        f1 = [(cpu_s(p.pid), write_bytes(p.pid)) for p in ffs]
        rss_kb, hwm_kb = status_kb(daemon.pid, "VmRSS"), status_kb(daemon.pid, "VmHWM")
        anon_kb, file_kb = status_kb(daemon.pid, "RssAnon"), status_kb(daemon.pid, "RssFile")
        merge = json.load(urllib.request.urlopen(f"http://{addr}/api/merge/status", timeout=5))
    finally:
        for p in ffs:
            p.send_signal(signal.SIGINT)
        daemon.send_signal(signal.SIGTERM)
        for p in ffs + [daemon]:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        cams.terminate()
        cams.wait()
    stream_hours = N * elapsed / 3600
    ours_cpu = (c1 - c0) / stream_hours
    ff_cpu = sum(b[0] - a[0] for a, b in zip(f0, f1)) / stream_hours
    media = m1 - m0
    ours_wa = (w1 - w0) / media if media else float("nan")
    ff_wa = sum(b[1] - a[1] for a, b in zip(f0, f1)) / media if media else float("nan")
    mbps = media * 8 / elapsed / N / 1e6
    our_files = sum(len(fs) for _, _, fs in os.walk(os.path.join(work, "data", "recordings")))
    ff_files = len(os.listdir(ffdir))
    print(f"recording benchmark: {N} cameras 1080p25 H.264 at {mbps:.2f} Mbit/s each, {elapsed:.0f} s measured")
    print(f"  CPU-seconds per stream-hour: mibee-nvr {ours_cpu:.2f}, ffmpeg -c copy -f segment {ff_cpu:.2f}, "
          f"ratio {ours_cpu / ff_cpu:.3f} (goal <= 0.35)")
    print(f"  mibee-nvr RSS with {N} cameras: at the end {rss_kb / 1024:.1f} MiB "
          f"(anonymous {anon_kb / 1024:.1f}, file-backed {file_kb / 1024:.1f}); sampled each second: "
          f"mean {sum(rss_samples) / len(rss_samples) / 1024:.1f} MiB, max {max(rss_samples) / 1024:.1f} MiB "
          f"(goal <= 24 MiB at 8); VmHWM since start {hwm_kb / 1024:.1f} MiB")
    print(f"  write amplification (write_bytes / media received): mibee-nvr {ours_wa:.4f} with merge on "
          f"({merge['segments_merged']} recordings merged into {merge['recordings_created']}), "
          f"ffmpeg {ff_wa:.4f} (goal <= 1.005)")
    print(f"  files: mibee-nvr created {our_files} for {N} cameras in {elapsed + WARMUP:.0f} s (one per camera per run, "
          f"rotated hourly: 24 per camera-day + 1 per reconnect; goal <= 48); "
          f"ffmpeg {ff_files} ({86400 // 30} per camera-day)")
    subprocess.run(["rm", "-rf", work])


main()
