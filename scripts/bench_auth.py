#!/usr/bin/env python3
"""Auth verification cache benchmark.

Runs two daemons side by side with the same argon2id password: one with the verification
cache (auth.verify_cache_ttl = 5m, the default) and one without (0s, argon2 on every
request). Sends the same number of authenticated keep-alive requests to each, alternating,
and reports the per-request latency of both and their ratio.
"""
import base64, http.client, os, subprocess, sys, tempfile, time

BIN = sys.argv[1]
N = int(os.environ.get("BENCH_AUTH_REQUESTS", "40"))
PASSWORD = "bench-password-1"


def start(tmp, name, ttl, pw_hash):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    with open(os.path.join(d, "mibee-nvr.toml"), "w") as f:
        f.write(f"[auth]\npassword_hash = '{pw_hash}'\nverify_cache_ttl = \"{ttl}\"\n")
    ready = os.path.join(d, "ready")
    p = subprocess.Popen([BIN, "--config", os.path.join(d, "mibee-nvr.toml"), "serve",
                          "--listen", "127.0.0.1:0", "--ready-file", ready],
                         stderr=subprocess.DEVNULL,
                         env=dict(os.environ, MIBEE_LOOPBACK_CAMERAS_ONLY="true"))
    for _ in range(200):
        if os.path.exists(ready) and open(ready).read():
            host, port = open(ready).read().rsplit(":", 1)
            return p, http.client.HTTPConnection(host, int(port))
        time.sleep(0.05)
    raise SystemExit(f"{name}: daemon did not start")


def one(conn, auth):
    t = time.perf_counter()
    conn.request("GET", "/api/cameras", headers={"Authorization": auth})
    r = conn.getresponse()
    r.read()
    assert r.status == 200, r.status
    return time.perf_counter() - t


def main():
    pw_hash = subprocess.check_output([BIN, "hash-password", PASSWORD], text=True).strip()
    auth = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    with tempfile.TemporaryDirectory() as tmp:
        pc, cached = start(tmp, "cached", "5m", pw_hash)
        pu, uncached = start(tmp, "uncached", "0s", pw_hash)
        try:
            one(cached, auth), one(uncached, auth)  # warm up (the cached one verifies once)
            tc, tu = [], []
            for _ in range(N):
                tc.append(one(cached, auth))
                tu.append(one(uncached, auth))
        finally:
            pc.terminate(); pu.terminate(); pc.wait(); pu.wait()
    mc, mu = sorted(tc)[N // 2], sorted(tu)[N // 2]
    print(f"auth cache: {N} authenticated requests each, median latency "
          f"cached {mc*1000:.2f} ms, argon2 every time {mu*1000:.2f} ms, "
          f"ratio cached/uncached = {mc/mu:.4f}")


main()
