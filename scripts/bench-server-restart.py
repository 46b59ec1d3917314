#!/usr/bin/env python3
"""A server's start measured from outside (BENCHMARKS.md, "A million attendees: the projection
packed and checkpointed").

    scripts/bench-server-restart.py BIN STORE.sqlite TOKEN_FILE [--port P] [--settle S] [-- MORE ARGS]

Starts `BIN server --store sqlite:STORE` (its checkpoint beside the store, unless MORE ARGS say
otherwise), times until /api/v1/health answers 200, then one /api/v1/stats with the token in
TOKEN_FILE; prints the RSS and its peak (VmHWM) then and after S seconds; stops it with SIGTERM
(it writes its checkpoint then) and prints how long that took. Run it twice: the first start folds
the log when there is no checkpoint yet, the second reads the checkpoint.
"""
import argparse, os, subprocess, time, urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("bin"); parser.add_argument("store"); parser.add_argument("token_file")
parser.add_argument("--port", type=int, default=18081)
parser.add_argument("--settle", type=float, default=5)
parser.add_argument("more", nargs="*")
args = parser.parse_args()
base = f"http://127.0.0.1:{args.port}"
log = open(args.store + ".bench.log", "a")
start = time.time()
p = subprocess.Popen([args.bin, "server", "--store", "sqlite:" + args.store, "--listen", f"127.0.0.1:{args.port}"]
                     + args.more, stdout=log, stderr=log)


def memory(field):
    for line in open(f"/proc/{p.pid}/status"):
        if line.startswith(field):
            return int(line.split()[1]) // 1024


while True:
    if p.poll() is not None:
        raise SystemExit(f"the server stopped: see {args.store}.bench.log")
    try:
        urllib.request.urlopen(base + "/api/v1/health", timeout=1).read()
        break
    except Exception:
        time.sleep(0.05)
ready = time.time() - start
token = open(args.token_file).read().strip()
request = urllib.request.Request(base + "/api/v1/stats", headers={"Authorization": "Bearer " + token})
t = time.time()
body = urllib.request.urlopen(request, timeout=60).read()
stats = time.time() - t
print(f"ready (health 200) after {ready:.2f} s; stats then {stats * 1000:.0f} ms ({len(body)} bytes); "
      f"RSS {memory('VmRSS')} MB, VmHWM {memory('VmHWM')} MB", flush=True)
time.sleep(args.settle)
print(f"after {args.settle:.0f} s: RSS {memory('VmRSS')} MB, VmHWM {memory('VmHWM')} MB", flush=True)
t = time.time()
p.terminate()
p.wait()
print(f"stopped (SIGTERM) in {time.time() - t:.2f} s, exit {p.returncode}", flush=True)
