#!/usr/bin/env python3
"""A new kiosk against a running server, measured from outside (BENCHMARKS.md, "A new kiosk at a
million attendees, paged and packed").

    scripts/bench-new-kiosk.py BIN DATA NAME TOKEN [--server URL] [--port P] [--kill-after S]

Starts `BIN kiosk` on the empty data directory DATA, reads its sync cursor from its store every
0.2 s and prints when it is set (the snapshot installed), with the daemon's RSS and peak (VmHWM);
then asks for one search (which starts the door's index), polls /api/v1/status until the index
holds every attendee, and prints that time, the first search's time and the RSS again.

With --kill-after S: kills the daemon with -9 S seconds in, prints what the store holds and where
it will go on from, starts it again and times the rest; then checks that no event is there twice.
"""
import argparse, json, os, shutil, sqlite3, subprocess, sys, time, urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("bin"); parser.add_argument("data"); parser.add_argument("name"); parser.add_argument("token")
parser.add_argument("--server", default="http://127.0.0.1:18081")
parser.add_argument("--port", type=int, default=18091)
parser.add_argument("--kill-after", type=float)
args = parser.parse_args()
shutil.rmtree(args.data, ignore_errors=True)
os.makedirs(args.data)
store = os.path.join(args.data, "kiosk.sqlite")
log = open(args.data.rstrip("/") + ".log", "a")


def start():
    return subprocess.Popen([args.bin, "kiosk", "--data", args.data, "--name", args.name, "--server", args.server,
                             "--token", args.token, "--listen", f"127.0.0.1:{args.port}", "--no-print"],
                            stdout=log, stderr=log)


def proc(p, field):
    for line in open(f"/proc/{p.pid}/status"):
        if line.startswith(field):
            return int(line.split()[1]) // 1024


def query(sql):
    try:
        c = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=0.1)
        row = c.execute(sql).fetchone()
        c.close()
        return row[0] if row else None
    except sqlite3.Error:
        return None


def cursor():
    value = query("SELECT value FROM meta WHERE key = 'sync_cursor'")
    return int(value) if value else 0


start_time = time.time()
p = start()
if args.kill_after:
    time.sleep(args.kill_after)
    p.kill(); p.wait()
    held = query("SELECT COUNT(*) FROM attendees")
    after = query("SELECT value FROM meta WHERE key = 'snapshot_after'")
    print(f"killed -9 after {args.kill_after:.0f} s: {held} attendees, snapshot_after={after}, cursor={cursor()}",
          flush=True)
    start_time = time.time()
    p = start()
while cursor() == 0:
    if p.poll() is not None:
        sys.exit(f"the kiosk stopped (exit {p.returncode}); see {log.name}")
    time.sleep(0.2)
print(f"snapshot installed (cursor set): {time.time() - start_time:.1f} s; RSS {proc(p, 'VmRSS')} MB, "
      f"VmHWM {proc(p, 'VmHWM')} MB", flush=True)
attendees = query("SELECT COUNT(*) FROM attendees WHERE removed = 0")
status_url = f"http://127.0.0.1:{args.port}/api/v1/status"
deadline = time.time() + 300
while True:  # the status API listens once the daemon is ready
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{args.port}/api/v1/search?q=martin", timeout=120).read()
        break
    except OSError:
        if time.time() > deadline:
            raise
        time.sleep(0.2)
while True:
    try:
        index = json.load(urllib.request.urlopen(status_url, timeout=2)).get("roster_index", {})
        if not index.get("building") and index.get("attendees") == attendees:
            break
    except OSError:
        pass
    time.sleep(0.2)
ready = time.time() - start_time
t = time.time()
urllib.request.urlopen(f"http://127.0.0.1:{args.port}/api/v1/search?q=lambert", timeout=30).read()
search = (time.time() - t) * 1000
time.sleep(3)
print(f"index ready: {ready:.1f} s ({attendees} attendees); first search {search:.1f} ms; "
      f"RSS {proc(p, 'VmRSS')} MB, VmHWM {proc(p, 'VmHWM')} MB", flush=True)
events = query("SELECT COUNT(*) FROM events")
distinct = query("SELECT COUNT(DISTINCT id) FROM events")
print(f"events {events}, distinct ids {distinct}" + ("" if events == distinct else ": SOME TWICE"), flush=True)
p.terminate(); p.wait()
