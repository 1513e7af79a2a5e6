#!/usr/bin/env python3
"""Hostile-peer load on a live `metatrain coordinator`: memory under floods, hung-shard recovery.

Requires pyzmq (`pip install pyzmq`). Linux only (reads /proc/PID/status, writes
/proc/PID/clear_refs).

    python3 benchmarks/hostile_load.py --metatrain .build/release/metatrain --protocol 2 [--rounds 2]
    python3 benchmarks/hostile_load.py --metatrain OLD/metatrain --protocol 1 [--rounds 2]
    python3 benchmarks/hostile_load.py --bench-old OLD/metatrain --bench-new NEW/metatrain [--bench-runs 3]

For one binary (`--metatrain`, speaking wire protocol `--protocol` 1 or 2) it measures:

1. Coordinator RSS (VmRSS; peak = VmHWM after `echo 5 > /proc/PID/clear_refs`) before, at the
   peak, and 1 s and 5 s after each flood, against a coordinator training
   `--preset sine-maml --iterations 10000000 --eval-tasks 4` with one honest worker:
     a  2,000 hellos with distinct 150 kB build ids, 100 on each of 20 DEALER connections
     b  one message of 2,000 parts of 1 MB on one connection
     b64  one message of 2,000 parts of 64 KiB (the largest part protocol 2 allows)
     c  2,000 connections that each send one small valid hello and then go silent
     d  100,000 heartbeats from a connection that never said hello
   Protocol 2 frames are cut into ZeroMQ parts of at most 64 KiB; protocol 1 sends one part.
   The floods hit one coordinator in turn (what one leaves resident is the next one's
   "before"); each flood's sockets stay open until its 5 s sample, and "closed" is the RSS
   --gap seconds after they are closed (--fresh-coordinator: a new coordinator per flood
   instead). ZeroMQ queues a multipart message whole (its
   high-water mark applies per message), so "queued in" is not the delivery time.
   The "valid" hello of flood c carries the identity a real worker of this binary sends,
   captured at start-up by a fake ROUTER socket.
2. The time for a hung shard to be reassigned: a fresh coordinator (`--iterations 1
   --min-workers 2`; protocol 2 adds `--allow-mixed-builds --shard-deadline-floor F`, F in
   1 and 10) gets a hostile worker that says hello and ready, takes its assignment and then
   only heartbeats (every 0.2 s); then an honest worker joins. Reported: seconds from the
   hostile's assignment to the coordinator's "past its deadline" log line, and to the
   coordinator's exit (iteration 0 done + a 4-task evaluation), minus the same span in an
   honest-only run; "never (> 120 s)" when the run does not finish within 120 s.

With `--bench-old/--bench-new` it runs `BIN bench omniglot-cnn --workers 2 --json`
alternately (old, new, old, new, …) and reports meta_iterations_per_second and the medians.
Before each bench run, running swift-frontend/swift-build processes (compiles that would
skew the figure) are paused with SIGSTOP and resumed with SIGCONT right after the run (in a
finally block, with a detached watchdog that resumes them anyway after 10 minutes).
Pass `--no-pause` to leave them alone.

OPENBLAS_CORETYPE is set from scripts/blas-coretype.sh for every process started. Run
directories go under a fresh directory in /tmp, removed at the end (`--keep-tmp` keeps it).
Prints a table per part and, last, one JSON line with every raw figure.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

try:
    import zmq
except ImportError:  # pragma: no cover
    sys.exit("hostile_load.py needs pyzmq: pip install pyzmq")

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

PART_BYTES = 64 << 10
HELLO, JOB, READY, ASSIGNMENT, RESULT, HEARTBEAT, REJECT, SHUTDOWN = range(1, 9)
KIND_NAMES = {1: "hello", 2: "job", 3: "ready", 4: "assignment", 5: "result", 6: "heartbeat", 7: "reject", 8: "shutdown"}


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- wire format

def frame(version, kind, body):
    head = b"MTW1" + struct.pack("<HBBI", version, kind, 0, len(body)) + body
    return head + struct.pack("<I", zlib.crc32(head) & 0xFFFFFFFF)


def wstr(s):
    b = s if isinstance(s, bytes) else s.encode()
    return struct.pack("<I", len(b)) + b


def hello_body(protocol, identity, name, threads=1):
    """identity: dict with buildID (and for protocol 2 blasKernel, fingerprint)."""
    if protocol == 1:
        return struct.pack("<H", 1) + wstr(identity["buildID"]) + wstr(name) + struct.pack("<H", threads)
    return (struct.pack("<H", 2) + wstr(identity["buildID"]) + wstr(identity.get("blasKernel", ""))
            + wstr(identity.get("fingerprint", "")) + wstr(name) + struct.pack("<H", threads))


def parts_of(protocol, data):
    if protocol == 1 or len(data) <= PART_BYTES:
        return [data]
    return [data[i:i + PART_BYTES] for i in range(0, len(data), PART_BYTES)]


def send_message(sock, protocol, data):
    parts = parts_of(protocol, data)
    sock.send_multipart(parts, copy=len(data) < 65536)


def parse_frame(data):
    if len(data) < 16 or data[:4] != b"MTW1":
        raise ValueError("not a frame")
    version, kind, flags, length = struct.unpack_from("<HBBI", data, 4)
    body = data[12:12 + length]
    return version, kind, body


def rstr(body, off):
    (n,) = struct.unpack_from("<I", body, off)
    return body[off + 4:off + 4 + n].decode(errors="replace"), off + 4 + n


def parse_hello(protocol, body):
    off = 2
    ident = {}
    ident["buildID"], off = rstr(body, off)
    if protocol >= 2:
        ident["blasKernel"], off = rstr(body, off)
        ident["fingerprint"], off = rstr(body, off)
    name, off = rstr(body, off)
    return ident, name


# ---------------------------------------------------------------- processes

def env():
    e = dict(os.environ)
    try:
        core = subprocess.run([os.path.join(REPO, "scripts", "blas-coretype.sh")], capture_output=True, text=True).stdout.strip()
    except OSError:
        core = ""
    if core:
        e["OPENBLAS_CORETYPE"] = core
    return e


ENV = None


def start(cmd, out, err):
    return subprocess.Popen(cmd, stdout=open(out, "wb"), stderr=open(err, "wb"), env=ENV, start_new_session=True)


def stop(p, sig=signal.SIGTERM, wait=10):
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(sig)
        p.wait(wait)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def read_status(pid):
    rss = hwm = None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024.0
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return rss, hwm


def clear_peak(pid):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return None


def read_endpoint(run_dir, proc, timeout=60):
    path = os.path.join(run_dir, "coordinator.endpoint")

    def got():
        if proc.poll() is not None:
            raise RuntimeError(f"coordinator exited with {proc.returncode} before binding")
        try:
            s = open(path).read().strip()
            return s or None
        except OSError:
            return None
    ep = wait_for(got, timeout)
    if not ep:
        raise RuntimeError("no coordinator.endpoint")
    return ep


def last_train_iteration(run_dir):
    try:
        with open(os.path.join(run_dir, "metrics.jsonl"), "rb") as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 8192))
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("kind") == "train":
            return r.get("iteration")
    return None


# ---------------------------------------------------------------- identity

def capture_identity(binary, protocol, tmp):
    """The hello a real worker of `binary` sends, read by a fake ROUTER."""
    ctx = zmq.Context.instance()
    router = ctx.socket(zmq.ROUTER)
    router.linger = 0
    router.bind("tcp://127.0.0.1:*")
    ep = router.getsockopt_string(zmq.LAST_ENDPOINT)
    w = start([binary, "worker", "--connect", ep, "--name", "identity-probe"],
              os.path.join(tmp, "probe.out"), os.path.join(tmp, "probe.err"))
    try:
        if not router.poll(30000):
            raise RuntimeError("the probe worker sent no hello")
        msg = router.recv_multipart()
        data = b"".join(msg[1:])
        version, kind, body = parse_frame(data)
        if kind != HELLO:
            raise RuntimeError(f"probe sent {kind}, not hello")
        if version != protocol:
            raise RuntimeError(f"{binary} speaks wire protocol {version}, not --protocol {protocol}")
        ident, _ = parse_hello(protocol, body)
        return ident
    finally:
        stop(w, signal.SIGKILL)
        router.close()


# ---------------------------------------------------------------- part 1: floods

class Sampler(threading.Thread):
    """Samples VmRSS every 50 ms (a cross-check of VmHWM)."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.max_rss, self.running = pid, 0.0, True

    def run(self):
        while self.running:
            rss, _ = read_status(self.pid)
            if rss:
                self.max_rss = max(self.max_rss, rss)
            time.sleep(0.05)


def flood_a(ctx, ep, protocol, ident, log_prefix):
    socks = []
    for c in range(20):
        s = ctx.socket(zmq.DEALER)
        s.linger = 0
        s.sndhwm = 64
        s.sndtimeo = 60000
        s.connect(ep)
        socks.append(s)
    sent = 0
    pad = b"B" * 150_000
    for c, s in enumerate(socks):
        for i in range(100):
            bid = (f"hostile-{c:02d}-{i:03d}-").encode() + pad[:150_000 - 17]
            ident2 = dict(ident, buildID=bid)
            try:
                send_message(s, protocol, frame(protocol, HELLO, hello_body(protocol, ident2, f"flood-a-{c}-{i}")))
                sent += 1
            except zmq.Again:
                break
    return socks, {"hellos_sent": sent}


def flood_b(ctx, ep, protocol, ident, part_bytes, n_parts=2000, budget=90):
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.sndhwm = 4
    s.sndtimeo = 5000
    s.connect(ep)
    # A valid frame header (a result of the claimed length) in the first part, the rest filler.
    total = part_bytes * n_parts
    first = bytearray(part_bytes)
    first[:12] = b"MTW1" + struct.pack("<HBBI", protocol, RESULT, 0, min(total - 16, 0xFFFFFFFF))
    filler = memoryview(bytes(part_bytes))
    sent, timeouts = 0, 0
    end = time.monotonic() + budget
    i = 0
    while i < n_parts and time.monotonic() < end:
        flags = zmq.SNDMORE if i < n_parts - 1 else 0
        try:
            s.send(bytes(first) if i == 0 else filler, flags=flags, copy=(i == 0))
            sent += 1
            i += 1
        except zmq.Again:
            timeouts += 1
    return [s], {"parts_sent": sent, "part_bytes": part_bytes, "send_timeouts": timeouts,
                 "completed": i == n_parts}


def flood_c(ctx, ep, protocol, ident, n=2000):
    socks = []
    for i in range(n):
        s = ctx.socket(zmq.DEALER)
        s.linger = 0
        s.rcvhwm = 4
        s.connect(ep)
        send_message(s, protocol, frame(protocol, HELLO, hello_body(protocol, ident, f"flood-c-{i}")))
        socks.append(s)
    return socks, {"connections": n}


def flood_d(ctx, ep, protocol, ident, n=100_000):
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.sndhwm = 1000
    s.sndtimeo = 30000
    s.connect(ep)
    sent = 0
    for i in range(n):
        try:
            s.send(frame(protocol, HEARTBEAT, struct.pack("<QB", int(time.time() * 1000), 0)))
            sent += 1
        except zmq.Again:
            break
    return [s], {"heartbeats_sent": sent}


FLOODS = {
    "a": ("2,000 hellos, 150 kB build ids, 20 conns", lambda ctx, ep, p, ident: flood_a(ctx, ep, p, ident, "")),
    "b": ("1 message of 2,000 parts of 1 MB", lambda ctx, ep, p, ident: flood_b(ctx, ep, p, ident, 1_000_000)),
    "b64": ("1 message of 2,000 parts of 64 KiB", lambda ctx, ep, p, ident: flood_b(ctx, ep, p, ident, PART_BYTES)),
    "c": ("2,000 conns, one hello each, then silent", flood_c),
    "d": ("100,000 heartbeats without hello", flood_d),
}


def run_floods(binary, protocol, ident, tmp, round_no, floods, gap):
    run_dir = os.path.join(tmp, f"flood-r{round_no}")
    coord = start([binary, "coordinator", "--preset", "sine-maml", "--iterations", "10000000", "--eval-tasks", "4",
                   "--bind", "tcp://127.0.0.1:*", "--min-workers", "1", "--heartbeat-interval", "0.2",
                   "--heartbeat-timeout", "1.5", "--run-dir", run_dir],
                  os.path.join(tmp, f"flood-r{round_no}.coord.out"), os.path.join(tmp, f"flood-r{round_no}.coord.err"))
    worker = None
    ctx = zmq.Context()
    ctx.set(zmq.MAX_SOCKETS, 8192)
    results = []
    try:
        ep = read_endpoint(run_dir, coord)
        worker = start([binary, "worker", "--connect", ep, "--heartbeat-interval", "0.2", "--heartbeat-timeout", "1.5",
                        "--name", "honest"],
                       os.path.join(tmp, f"flood-r{round_no}.worker.out"), os.path.join(tmp, f"flood-r{round_no}.worker.err"))
        if not wait_for(lambda: last_train_iteration(run_dir), 120, 0.2):
            raise RuntimeError("the coordinator never wrote a train record")
        log(f"round {round_no}: training at {ep} (coordinator pid {coord.pid})")
        time.sleep(2)
        for key in floods:
            title, fn = FLOODS[key]
            if coord.poll() is not None:
                results.append({"flood": key, "error": f"coordinator exited ({coord.returncode})"})
                continue
            it_before = last_train_iteration(run_dir)
            before, _ = read_status(coord.pid)
            clear_peak(coord.pid)
            sampler = Sampler(coord.pid)
            sampler.start()
            t0 = time.monotonic()
            log(f"round {round_no}: flood {key}: {title}")
            socks, info = fn(ctx, ep, protocol, ident)
            t_end = time.monotonic()
            time.sleep(1.0)
            after1, _ = read_status(coord.pid)
            time.sleep(4.0)
            after5, hwm = read_status(coord.pid)
            sampler.running = False
            sampler.join()
            alive = coord.poll() is None
            it_after = last_train_iteration(run_dir)
            for s in socks:
                s.close(linger=0)
            time.sleep(gap)
            after_close, _ = read_status(coord.pid)
            r = {"flood": key, "title": title, "before_mb": before, "peak_mb": hwm, "sampled_max_mb": sampler.max_rss,
                 "after_1s_mb": after1, "after_5s_mb": after5, "after_close_mb": after_close,
                 "send_seconds": round(t_end - t0, 2),
                 "coordinator_alive": alive, "worker_alive": worker.poll() is None,
                 "train_iteration_before": it_before, "train_iteration_after": it_after}
            r.update(info)
            log(f"  {fmt_mb(before)} -> peak {fmt_mb(hwm)}, +1 s {fmt_mb(after1)}, +5 s {fmt_mb(after5)}, "
                f"{gap:g} s after closing its sockets {fmt_mb(after_close)} "
                f"(queued in {t_end - t0:.1f} s; iteration {it_before} -> {it_after}) {info}")
            results.append(r)
    finally:
        stop(coord, signal.SIGTERM, 15)
        stop(worker, signal.SIGTERM, 15)
        ctx.destroy(linger=0)
    return results


# ---------------------------------------------------------------- part 2: hung shard

class LineTimer(threading.Thread):
    """Reads a process's stderr, timestamping lines (monotonic)."""

    def __init__(self, stream, path):
        super().__init__(daemon=True)
        self.stream, self.lines, self.path = stream, [], path

    def run(self):
        with open(self.path, "w") as out:
            for raw in iter(self.stream.readline, b""):
                line = raw.decode(errors="replace").rstrip("\n")
                self.lines.append((time.monotonic(), line))
                out.write(line + "\n")
                out.flush()


DEADLINE_RE = re.compile(r"has had tasks .* for ([0-9.]+) s, past its deadline of ([0-9.]+) s")


def hung_shard_run(binary, protocol, ident, tmp, tag, floor, limit=120.0):
    run_dir = os.path.join(tmp, f"hung-{tag}")
    cmd = [binary, "coordinator", "--preset", "sine-maml", "--iterations", "1", "--eval-tasks", "4",
           "--bind", "tcp://127.0.0.1:*", "--min-workers", "2", "--heartbeat-interval", "0.2",
           "--heartbeat-timeout", "1.5", "--run-dir", run_dir]
    if floor is not None:
        cmd += ["--allow-mixed-builds", "--shard-deadline-floor", str(floor)]
    coord = subprocess.Popen(cmd, stdout=open(os.path.join(tmp, f"hung-{tag}.coord.out"), "wb"),
                             stderr=subprocess.PIPE, env=ENV, start_new_session=True)
    timer = LineTimer(coord.stderr, os.path.join(tmp, f"hung-{tag}.coord.err"))
    timer.start()
    ctx = zmq.Context()
    worker = None
    try:
        ep = read_endpoint(run_dir, coord)
        s = ctx.socket(zmq.DEALER)
        s.linger = 0
        s.connect(ep)
        send_message(s, protocol, frame(protocol, HELLO, hello_body(protocol, ident, "hostile-hung")))
        t_assign = None
        started_honest = False
        next_hb = 0.0
        t_start = time.monotonic()
        while coord.poll() is None:
            now = time.monotonic()
            if t_assign is not None and now - t_assign > limit:
                break
            if t_assign is None and now - t_start > 60:
                raise RuntimeError("the hostile peer got no assignment in 60 s")
            if started_honest and now >= next_hb:  # heartbeats once the job arrived, as a worker does
                s.send(frame(protocol, HEARTBEAT, struct.pack("<QB", int(time.time() * 1000), 0)))
                next_hb = now + 0.2
            if s.poll(50):
                data = b"".join(s.recv_multipart())
                try:
                    _, kind, body = parse_frame(data)
                except ValueError:
                    continue
                if kind == JOB:
                    s.send(frame(protocol, READY, body[:32]))
                    if not started_honest:
                        worker = start([binary, "worker", "--connect", ep, "--heartbeat-interval", "0.2",
                                        "--heartbeat-timeout", "1.5", "--name", "honest"],
                                       os.path.join(tmp, f"hung-{tag}.worker.out"), os.path.join(tmp, f"hung-{tag}.worker.err"))
                        started_honest = True
                elif kind == ASSIGNMENT and t_assign is None:
                    t_assign = time.monotonic()
                elif kind == REJECT:
                    raise RuntimeError(f"hostile rejected: {body[1:].decode(errors='replace')}")
        t_exit = time.monotonic() if coord.poll() is not None else None
        timer.join(2)
        deadline_line = None
        for (t, line) in timer.lines:
            m = DEADLINE_RE.search(line)
            if m and t_assign is not None:
                deadline_line = {"after_assignment_s": round(t - t_assign, 2), "logged_elapsed_s": float(m.group(1)),
                                 "logged_deadline_s": float(m.group(2))}
                break
        return {"tag": tag, "floor": floor, "assignment_to_exit_s": None if t_exit is None else round(t_exit - t_assign, 2),
                "exit_code": coord.returncode, "deadline_log": deadline_line, "limit_s": limit}
    finally:
        stop(coord, signal.SIGTERM, 15)
        stop(worker, signal.SIGTERM, 15)
        ctx.destroy(linger=0)


def honest_only_run(binary, tmp, tag):
    """Seconds from the honest worker's start to the coordinator's exit, 1 iteration, 1 worker."""
    run_dir = os.path.join(tmp, f"honest-{tag}")
    coord = start([binary, "coordinator", "--preset", "sine-maml", "--iterations", "1", "--eval-tasks", "4",
                   "--bind", "tcp://127.0.0.1:*", "--min-workers", "1", "--heartbeat-interval", "0.2",
                   "--heartbeat-timeout", "1.5", "--run-dir", run_dir],
                  os.path.join(tmp, f"honest-{tag}.coord.out"), os.path.join(tmp, f"honest-{tag}.coord.err"))
    worker = None
    try:
        ep = read_endpoint(run_dir, coord)
        t0 = time.monotonic()
        worker = start([binary, "worker", "--connect", ep, "--heartbeat-interval", "0.2", "--heartbeat-timeout", "1.5"],
                       os.path.join(tmp, f"honest-{tag}.worker.out"), os.path.join(tmp, f"honest-{tag}.worker.err"))
        coord.wait(120)
        return round(time.monotonic() - t0, 2)
    finally:
        stop(coord)
        stop(worker)


# ---------------------------------------------------------------- bench

def heavy_compiles():
    pids = []
    me = os.getpid()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        try:
            with open(f"/proc/{d}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm in ("swift-frontend", "swift-build"):
            pids.append(int(d))
    return pids


def signal_pids(pids, sig):
    for p in pids:
        try:
            os.kill(p, sig)
        except (ProcessLookupError, PermissionError):
            pass


def bench_once(binary, pause):
    load = open("/proc/loadavg").read().split()[:3]
    paused = heavy_compiles() if pause else []
    watchdog = None
    try:
        if paused:
            # Resume them even if this script is killed outright.
            watchdog = subprocess.Popen(["sh", "-c", f"sleep 600; kill -CONT {' '.join(map(str, paused))} 2>/dev/null"],
                                        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            signal_pids(paused, signal.SIGSTOP)
            time.sleep(2)
        t0 = time.monotonic()
        p = subprocess.run([binary, "bench", "omniglot-cnn", "--workers", "2", "--json"], capture_output=True, text=True, env=ENV)
        wall = time.monotonic() - t0
    finally:
        if paused:
            signal_pids(paused, signal.SIGCONT)
        if watchdog is not None:  # the shell and its sleep (its own process group)
            try:
                os.killpg(watchdog.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            watchdog.wait()
    value, windows = None, None
    try:  # one (pretty-printed) JSON object
        obj = json.loads(p.stdout[p.stdout.index("{"):])
        value, windows = obj.get("meta_iterations_per_second"), obj.get("window_meta_iterations_per_second")
    except ValueError:
        pass
    return {"binary": binary, "meta_iterations_per_second": value, "windows": windows, "exit_code": p.returncode,
            "wall_s": round(wall, 1),
            "loadavg_before": load, "paused_pids": len(paused),
            "stderr_tail": p.stderr.strip().splitlines()[-2:] if value is None else []}


def run_bench(old, new, runs, pause):
    rows = []
    for i in range(runs):
        for label, b in (("old", old), ("new", new)):
            log(f"bench {label} run {i + 1}/{runs}")
            r = bench_once(b, pause)
            r["label"] = label
            log(f"  {r['meta_iterations_per_second']} meta-it/s (load {' '.join(r['loadavg_before'])}, paused {r['paused_pids']})")
            rows.append(r)
    med = {}
    for label in ("old", "new"):
        v = [r["meta_iterations_per_second"] for r in rows if r["label"] == label and r["meta_iterations_per_second"]]
        med[label] = statistics.median(v) if v else None
    print("\nbench omniglot-cnn --workers 2 (meta_iterations_per_second)")
    print(f"{'run':>4} {'old':>10} {'new':>10}")
    for i in range(runs):
        o = rows[2 * i]["meta_iterations_per_second"]
        n = rows[2 * i + 1]["meta_iterations_per_second"]
        print(f"{i + 1:>4} {fmt(o, '10.3f'):>10} {fmt(n, '10.3f'):>10}")
    print(f"{'med':>4} {fmt(med['old'], '10.3f'):>10} {fmt(med['new'], '10.3f'):>10}")
    return {"runs": rows, "median": med}


# ---------------------------------------------------------------- report

def fmt_mb(v):
    return "—" if v is None else f"{v:.1f} MB"


def fmt(v, spec):
    return "—" if v is None else format(v, spec)


def median_of(rows, key):
    v = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(v) if v else None


def main():
    global ENV
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--metatrain", help="the binary under test")
    ap.add_argument("--protocol", type=int, choices=(1, 2), help="its wire protocol version")
    ap.add_argument("--rounds", type=int, default=1, help="flood rounds, each on a fresh coordinator (medians)")
    ap.add_argument("--floods", default="a,b,b64,c,d", help="which floods, comma-separated (a,b,b64,c,d)")
    ap.add_argument("--gap", type=float, default=3.0, help="seconds between floods (after the 5 s sample)")
    ap.add_argument("--fresh-coordinator", action="store_true",
                    help="each flood on its own fresh coordinator (no flood inherits another's heap)")
    ap.add_argument("--hung-rounds", type=int, default=1, help="runs of each hung-shard case")
    ap.add_argument("--hung-limit", type=float, default=120.0)
    ap.add_argument("--skip-floods", action="store_true")
    ap.add_argument("--skip-hung", action="store_true")
    ap.add_argument("--bench-old", help="with --bench-new: run the throughput check instead")
    ap.add_argument("--bench-new")
    ap.add_argument("--bench-runs", type=int, default=3)
    ap.add_argument("--no-pause", action="store_true", help="do not pause swift compiles during bench runs")
    ap.add_argument("--keep-tmp", action="store_true")
    a = ap.parse_args()
    ENV = env()
    log(f"OPENBLAS_CORETYPE={ENV.get('OPENBLAS_CORETYPE', '')}")

    if a.bench_old or a.bench_new:
        if not (a.bench_old and a.bench_new):
            ap.error("--bench-old and --bench-new go together")
        result = run_bench(os.path.abspath(a.bench_old), os.path.abspath(a.bench_new), a.bench_runs, not a.no_pause)
        print(json.dumps({"bench": result}))
        return
    if not a.metatrain or not a.protocol:
        ap.error("--metatrain and --protocol are required")
    binary = os.path.abspath(a.metatrain)
    tmp = tempfile.mkdtemp(prefix="hostile-load-", dir="/tmp")
    log(f"temporary directory {tmp}")
    report = {"metatrain": binary, "protocol": a.protocol}
    try:
        ident = capture_identity(binary, a.protocol, tmp)
        report["identity"] = {k: (v[:80] if isinstance(v, str) else v) for k, v in ident.items()}
        log(f"identity {report['identity']}")
        floods = [f.strip() for f in a.floods.split(",") if f.strip()]
        if not a.skip_floods:
            rounds = []
            for r in range(a.rounds):
                if a.fresh_coordinator:
                    rounds.append([x for key in floods for x in run_floods(binary, a.protocol, ident, tmp, f"{r + 1}{key}", [key], a.gap)])
                else:
                    rounds.append(run_floods(binary, a.protocol, ident, tmp, r + 1, floods, a.gap))
            report["floods"] = rounds
            print(f"\nCoordinator RSS under floods ({binary}, protocol {a.protocol}; "
                  f"{'a fresh coordinator per flood' if a.fresh_coordinator else 'one coordinator, floods in turn'}; "
                  f"medians of {a.rounds} round(s), MB)")
            print(f"{'flood':<6}{'description':<44}{'before':>8}{'peak':>9}{'+1 s':>9}{'+5 s':>9}{'+5s-before':>11}"
                  f"{'closed':>9}  alive")
            summary = {}
            for key in floods:
                rows = [x for rnd in rounds for x in rnd if x["flood"] == key and "error" not in x]
                if not rows:
                    print(f"{key:<6}{FLOODS[key][0]:<44} (no data)")
                    continue
                m = {k: median_of(rows, k) for k in ("before_mb", "peak_mb", "after_1s_mb", "after_5s_mb", "after_close_mb")}
                m["growth_5s_mb"] = None if m["after_5s_mb"] is None or m["before_mb"] is None else m["after_5s_mb"] - m["before_mb"]
                m["coordinator_alive"] = all(x["coordinator_alive"] for x in rows)
                summary[key] = m
                print(f"{key:<6}{FLOODS[key][0]:<44}{fmt(m['before_mb'], '8.1f')}{fmt(m['peak_mb'], '9.1f')}"
                      f"{fmt(m['after_1s_mb'], '9.1f')}{fmt(m['after_5s_mb'], '9.1f')}{fmt(m['growth_5s_mb'], '+11.1f')}"
                      f"{fmt(m['after_close_mb'], '9.1f')}  "
                      f"{'yes' if m['coordinator_alive'] else 'NO'}")
            report["flood_medians"] = summary
        if not a.skip_hung:
            floors = [1, 10] if a.protocol == 2 else [None]
            hung = []
            base = []
            for r in range(a.hung_rounds):
                base.append(honest_only_run(binary, tmp, f"r{r + 1}"))
                for f in floors:
                    tag = f"r{r + 1}-floor{f}" if f is not None else f"r{r + 1}"
                    log(f"hung shard {tag}")
                    x = hung_shard_run(binary, a.protocol, ident, tmp, tag, f, a.hung_limit)
                    log(f"  {x}")
                    hung.append(x)
            b = statistics.median(base)
            report["honest_only_seconds"] = base
            report["hung"] = hung
            print(f"\nHung shard reassignment ({binary}, protocol {a.protocol}; honest-only 1-iteration run: "
                  f"{', '.join(f'{v:.2f}' for v in base)} s)")
            print(f"{'floor':<8}{'deadline line after':>22}{'logged (elapsed/deadline)':>28}{'to exit':>18}{'minus honest':>14}")
            for x in hung:
                d = x["deadline_log"]
                ex = x["assignment_to_exit_s"]
                floor = str(x["floor"]) if x["floor"] is not None else "(none)"
                line_after = "%.2f s" % d["after_assignment_s"] if d else "none"
                logged = "%s / %s s" % (d["logged_elapsed_s"], d["logged_deadline_s"]) if d else "-"
                to_exit = "%.2f s" % ex if ex is not None else "never (> %d s)" % int(a.hung_limit)
                minus = "%.2f s" % (ex - b) if ex is not None else "-"
                print(f"{floor:<8}{line_after:>22}{logged:>28}{to_exit:>18}{minus:>14}")
    finally:
        if a.keep_tmp:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
