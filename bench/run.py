#!/usr/bin/env python3
"""svmq's benchmark harness: every contender side by side in one run, alternating, pinned and unpinned.

    bash bench/run [--reps 7] [--quick] [--out bench/results.md]

Contenders (each prints "<rate> msg/s" last):
  glibc         bench/build/glibc_pingpong     plain msgsnd/msgrcv, blocking (the reference)
  svmq-rust     target/release/examples/pingpong, .../stream
  svmq-c        c-examples/build/pingpong [--stream]
  svmq-rust-spin, svmq-c-spin                  the same with --spin (adaptive poll, then block)
  python        bench/sysv_ipc_bench.py        Python's sysv_ipc
for ping-pong (round trips) and one-way streaming, S in {16, 1024, 8192}; unpinned, pinned apart (ping-pong
only: the measuring process on CPU 0, its peer on CPU 1, --pin 0,1) and with both processes on CPU 0
(taskset -c 0). Per cell: median and best of --reps runs, the ratio of medians to glibc, and for ping-pong
the CPU time (user + system, both processes, whole run) per round trip. Then a slow peer (answers 5 ms
late, --delay-us 5000): the receiving process's CPU per round trip, spinning against blocking; and the
low-latency receive's targets checked on the medians. Then deterministic figures: user-space instructions per send+receive pair (callgrind), binary
sizes, and peak stack use of a send and a receive at 8 KiB capacity (examples/stack.rs). And the
deadline receive's precision, wake-up latency and CPU cost (bench/timed_bench.c; --timed-only runs just
that, in a few seconds; --slow-only just the slow peer, in about 7 minutes).
"""
import argparse
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = os.environ.get("SVMQ_PYTHON", os.path.join(ROOT, ".venv/bin/python"))


def contenders(kind):
    rust = os.path.join(ROOT, "target/release/examples", "pingpong" if kind == "pingpong" else "stream")
    c = os.path.join(ROOT, "c-examples/build/pingpong")
    glibc = os.path.join(ROOT, "bench/build/glibc_pingpong")
    stream = [] if kind == "pingpong" else ["--stream"]
    out = {
        "glibc": [glibc] + stream,
        "svmq-rust": [rust],
        "svmq-c": [c] + stream,
        "python": [PY, os.path.join(ROOT, "bench/sysv_ipc_bench.py")] + stream,
    }
    if kind == "pingpong":
        out["svmq-rust-spin"] = [rust, "--spin"]
        out["svmq-c-spin"] = [c, "--spin"]
    return out


# Where the two processes of a run are: the programs pin themselves with --pin A,B (this process on A,
# its peer on B); "together" uses taskset, which every contender inherits.
PLACEMENTS = {
    "unpinned": ([], []),
    "apart": ([], ["--pin", "0,1"]),
    "together": (["taskset", "-c", "0"], []),
}
TITLES = {
    "unpinned": "unpinned",
    "apart": "pinned apart (the measuring process on CPU 0, its peer on CPU 1)",
    "together": "both processes pinned to CPU 0",
}


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_one(cmd, count, size, placement, extra=()):
    """One run: (rate, CPU us per round trip of both processes over the whole run, CPU us per round trip of
    the measuring process's timed loop or None, receives that polled in vain or None). The harness runs one child at a time, so the growth of
    RUSAGE_CHILDREN is that run's process tree (every program waits for its peer)."""
    pre, post = PLACEMENTS[placement]
    full = pre + cmd + ["--count", str(count), "--size", str(size)] + post + list(extra)
    before = children_cpu()
    out = subprocess.run(full, capture_output=True, text=True, timeout=600)
    total = (children_cpu() - before) * 1e6 / count
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(full)} failed: {out.stderr}")
    lines = out.stdout.strip().splitlines()
    rate = float(re.fullmatch(r"([0-9.]+) msg/s", lines[-1]).group(1))
    loop = vain = None
    for line in lines:
        m = re.match(r"loop cpu: ([0-9.]+) us per", line)
        if m:
            loop = float(m.group(1))
        m = re.match(r"spin: ([0-9]+) of [0-9]+ receives polled in vain", line)
        if m:
            vain = int(m.group(1))
    return rate, total, loop, vain


def count_for(name, kind, placement, quick):
    base = 100000 if placement == "together" else 20000
    if kind == "stream":
        base = 200000
    if name == "python":
        base //= 4
    return max(base // (20 if quick else 1), 500)


def throughput(args, lines, medians):
    for kind in ("pingpong", "stream"):
        placements = ("unpinned", "apart", "together") if kind == "pingpong" else ("unpinned", "together")
        for placement in placements:
            lines.append(f"\n### {'Ping-pong (round trips/s)' if kind == 'pingpong' else 'Streaming (messages/s)'}"
                         f", {TITLES[placement]}\n")
            names = list(contenders(kind))
            header = "| size | " + " | ".join(names) + " |"
            lines.append(header)
            lines.append("|---" * (len(names) + 1) + "|")
            for size in (16, 1024, 8192):
                results = {n: [] for n in names}
                cpus = {n: [] for n in names}
                for rep in range(args.reps):
                    # Alternate: rotate the order every repetition so no contender always runs first.
                    order = names[rep % len(names):] + names[:rep % len(names)]
                    for n in order:
                        rate, cpu, _, _ = run_one(contenders(kind)[n], count_for(n, kind, placement, args.quick), size,
                                               placement)
                        results[n].append(rate)
                        cpus[n].append(cpu)
                base = statistics.median(results["glibc"])
                cells = []
                for n in names:
                    med, best = statistics.median(results[n]), max(results[n])
                    medians[(kind, placement, size, n)] = med
                    cell = f"{med / 1000:.0f}k / {best / 1000:.0f}k ({med / base:.2f}x)"
                    if kind == "pingpong":
                        cell += f", {statistics.median(cpus[n]):.1f} us CPU"
                    cells.append(cell)
                lines.append(f"| {size} | " + " | ".join(cells) + " |")
                print(lines[-1], flush=True)


def slow_peer(args, lines, medians):
    """The back-off at work: the peer answers each request 5 ms late. Two measures of the same thing.

    1. The verdict: `pingpong --ab` (Rust and C) alternates, inside one run, a blocking receive and the
       adaptive one (its own Spin), and reads each receive's CPU time (CLOCK_THREAD_CPUTIME_ID) around it:
       2000 round trips, so 1000 adaptive receives, both kinds meeting the same machine at the same moments.
    2. Context: the receiving process's whole loop (send + receive), spin against blocking programs, each
       program run separately (1000 round trips each, rotated order, paired with its neighbour): the
       figure a user would measure, but a process woken 1000 times varies by +-20 % from run to run on
       this VM, more than the effect measured. The Rust example also counts the receives that polled in
       vain: each costs one poll budget (50 us)."""
    count = 100 if args.quick else 1000
    reps = args.reps
    context_reps = min(args.reps, 5)
    lines.append(f"\n### A slow peer (it answers 5 ms late): CPU of a receive, adaptive against blocking, in one "
                 f"run (`pingpong --ab`, {2 * count} round trips alternating the two), medians of {reps} runs\n")
    lines.append("| placement | program | blocking receive | adaptive receive | adaptive vs blocking (median; range) "
                 "| adaptive receives that polled in vain |")
    lines.append("|---|---|---|---|---|---|")
    for placement in ("unpinned", "apart"):
        for lang, name in (("Rust", "svmq-rust"), ("C", "svmq-c")):
            b, sp, ratios, vain = [], [], [], []
            pre, post = PLACEMENTS[placement]
            for _ in range(reps):
                cmd = pre + contenders("pingpong")[name] + ["--ab", "--count", str(2 * count), "--size", "1024",
                                                            "--delay-us", "5000"] + post
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
                if out.returncode != 0:
                    raise SystemExit(f"{' '.join(cmd)} failed: {out.stderr}")
                m = re.search(r"ab: blocking ([0-9.]+) us, spin ([0-9.]+) us of CPU per receive \(\d+ / (\d+)\)"
                              r"(?:, (\d+) polled in vain)?", out.stdout)
                b.append(float(m.group(1)))
                sp.append(float(m.group(2)))
                ratios.append(float(m.group(2)) / float(m.group(1)))
                if m.group(4) is not None:
                    vain.append(int(m.group(4)))
                n_spin = int(m.group(3))
            r = statistics.median(ratios)
            medians[("slow", placement, name + "-spin")] = r
            v = f"{statistics.median(vain):.0f} of {n_spin}" if vain else "- (opaque state in C)"
            lines.append(f"| {TITLES[placement].split(' (')[0]} | {lang} | {statistics.median(b):.2f} us | "
                         f"{statistics.median(sp):.2f} us | {(r - 1) * 100:+.1f}% ({(min(ratios) - 1) * 100:+.1f}% .. "
                         f"{(max(ratios) - 1) * 100:+.1f}%) | {v} |")
            print(lines[-1], flush=True)

    lines.append(f"\n### A slow peer, whole programs: {count} round trips of 1 KiB, CPU of the receiving process's "
                 f"timed loop (send + receive) per round trip, medians of {context_reps} runs (context: run-to-run noise "
                 "exceeds the effect)\n")
    # The blocking svmq programs make exactly glibc's system calls; glibc itself is left out to fit more reps.
    names = ["svmq-rust", "svmq-rust-spin", "svmq-c", "svmq-c-spin"]
    lines.append("| placement | " + " | ".join(names) + " | receives that polled in vain (Rust) |")
    lines.append("|---" * (len(names) + 2) + "|")
    for placement in ("unpinned", "apart"):
        loops = {n: [] for n in names}
        pairs = {n: [] for n in names if n.endswith("-spin")}
        vain = []
        for rep in range(context_reps):
            order = names[rep % len(names):] + names[:rep % len(names)]
            this = {}
            for n in order:
                _, _, loop, v = run_one(contenders("pingpong")[n], count, 1024, placement, ["--delay-us", "5000"])
                loops[n].append(loop)
                this[n] = loop
                if v is not None and n == "svmq-rust-spin":
                    vain.append(v)
            for n in pairs:
                pairs[n].append(this[n] / this[n[:-len("-spin")]])
        cells = []
        for n in names:
            med = statistics.median(loops[n])
            cell = f"{med:.2f} us"
            if n in pairs:
                r = statistics.median(pairs[n])
                cell += f" ({(r - 1) * 100:+.1f}% paired; range {(min(pairs[n]) - 1) * 100:+.0f}% .. " \
                        f"{(max(pairs[n]) - 1) * 100:+.0f}%)"
            cells.append(cell)
        v = f"{statistics.median(vain):.0f} of {count} (max {max(vain)})" if vain else "-"
        lines.append(f"| {TITLES[placement].split(' (')[0]} | " + " | ".join(cells) + f" | {v} |")
        print(lines[-1], flush=True)


def targets(lines, medians):
    """Issue 13's bar for the low-latency receive, checked on this run's medians."""
    first = len(lines)
    lines.append("\n### Low-latency receive: the targets, on this run's medians\n")
    lines.append("| target | Rust | C |")
    lines.append("|---|---|---|")

    def ratio(placement, size, n):
        key = ("pingpong", placement, size, n)
        if key not in medians:
            return None
        return medians[key] / medians[("pingpong", placement, size, "glibc")]

    rows = [(f"pinned apart, {size} B: spin >= 10x glibc blocking" if size == 1024 else
             f"pinned apart, {size} B: spin vs glibc blocking (no target)", "apart", size, 10.0) for size in (16, 1024, 8192)]
    rows += [(f"both on CPU 0, {size} B: spin >= 0.95x glibc blocking", "together", size, 0.95)
             for size in (16, 1024, 8192)]
    rows += [(f"unpinned, {size} B: spin >= 3x glibc blocking", "unpinned", size, 3.0) for size in (16, 1024, 8192)]
    for title, placement, size, bar in rows:
        cells = []
        for n in ("svmq-rust-spin", "svmq-c-spin"):
            r = ratio(placement, size, n)
            if r is None:
                cells.append("-")
            elif "no target" in title:
                cells.append(f"{r:.2f}x")
            else:
                cells.append(f"{r:.3f}x {'ok' if r >= bar else 'MISSED'}")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    for placement in ("unpinned", "apart"):
        cells = []
        for n in ("svmq-rust-spin", "svmq-c-spin"):
            r = medians.get(("slow", placement, n))
            cells.append("-" if r is None else f"{(r - 1) * 100:+.1f}% {'ok' if r <= 1.05 else 'MISSED'}")
        lines.append(f"| slow peer, {placement}: adaptive receive CPU <= blocking + 5% (`--ab`) | " + " | ".join(cells) + " |")
    for line in lines[first:]:
        print(line, flush=True)


def callgrind_instructions(cmd):
    """Total user-space instructions of a run, from callgrind's summary."""
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
                         capture_output=True, text=True)
    m = re.search(r"Collected : (\d+)", out.stderr)
    if not m:
        raise SystemExit(f"callgrind failed: {out.stderr[-500:]}")
    return int(m.group(1))


def per_pair(cmd, size):
    """Instructions per send+receive pair: the difference between 2000 and 1000 pairs, over 1000."""
    a = callgrind_instructions(cmd + ["--count", "1000", "--size", str(size)])
    b = callgrind_instructions(cmd + ["--count", "2000", "--size", str(size)])
    return (b - a) / 1000


def static_figures(lines):
    lines.append("\n### User-space instructions per send+receive pair (callgrind; deterministic)\n")
    lines.append("| size | glibc | svmq (Rust, Message) | svmq (Rust, Frame) | svmq (C ABI, raw) | svmq (C ABI, copy) |")
    lines.append("|---|---|---|---|---|---|")
    loop = os.path.join(ROOT, "target/release/examples/loop")
    cloop = os.path.join(ROOT, "bench/build/svmq_loop")
    gloop = os.path.join(ROOT, "bench/build/glibc_loop")
    for size in (16, 1024, 8192):
        g = per_pair([gloop], size)
        cells = [f"{g:.0f}"]
        for cmd in ([loop], [loop, "--frame"], [cloop, "--raw"], [cloop]):
            v = per_pair(cmd, size)
            cells.append(f"{v:.0f} ({v / g:.2f}x)")
        lines.append(f"| {size} | " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)

    lines.append("\n### Peak stack of each path, 8 KiB messages (examples/stack.rs: painted stack)\n")
    lines.append("| path | peak stack below the caller |")
    lines.append("|---|---|")
    out = subprocess.run([os.path.join(ROOT, "target/release/examples/stack")], capture_output=True, text=True,
                         check=True).stdout
    for line in out.strip().splitlines():
        name, value = line.rsplit(": ", 1)
        lines.append(f"| {name} | {value} |")
        print(lines[-1], flush=True)

    lines.append("\n### Binary sizes (stripped)\n")
    lines.append("| program | size |")
    lines.append("|---|---|")
    for name, path in (("freestanding example (svmq, no libc)", "c-examples/build/freestanding"),
                       ("the same program, static glibc", "bench/build/freestanding_glibc"),
                       ("svmq tool", "target/release/svmq"),
                       ("libsvmq.a (prelinked)", "target/release/libsvmq.a")):
        full = os.path.join(ROOT, path)
        tmp = f"/tmp/svmq-size-{os.getpid()}"
        if path.endswith(".a"):
            size = os.path.getsize(full)
        else:
            subprocess.run(["strip", "-o", tmp, full], check=True)
            size = os.path.getsize(tmp)
            os.unlink(tmp)
        lines.append(f"| {name} | {size} bytes ({size / 1024:.1f} KiB) |")


def timed_figures(lines, waits):
    """The deadline receive (bench/timed_bench.c): its own table, and a verdict against issue 14's bounds."""
    lines.append("\n### Deadline receive (bench/timed_bench.c: svmq_recv_raw_timed; CLOCK_MONOTONIC)\n")
    out = subprocess.run([os.path.join(ROOT, "bench/build/timed_bench"), "--waits", str(waits)],
                         capture_output=True, text=True, check=True, timeout=300).stdout
    for line in out.strip().splitlines():
        lines.append(line if line.startswith("|") else f"\n{line}")
        print(lines[-1], flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--quick", action="store_true", help="tiny counts: checks the harness, not the machine")
    ap.add_argument("--out", default=None)
    ap.add_argument("--skip-throughput", action="store_true")
    ap.add_argument("--skip-static", action="store_true", help="no callgrind, stack or size figures")
    ap.add_argument("--timed-only", action="store_true", help="only the deadline receive's figures")
    ap.add_argument("--slow-only", action="store_true", help="only the slow peer's figures (a few minutes)")
    ap.add_argument("--timed-waits", type=int, default=100, help="5 ms waits for the precision figures")
    args = ap.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} CPUs ({cpu}), "
             f"Linux {platform.release()}; {args.reps} repetitions per cell, contenders alternating. "
             "Cells: median / best, (median ratio to glibc)."]
    medians = {}
    if args.slow_only:
        lines[0] += f" Load average {os.getloadavg()[0]:.1f}."
        slow_peer(args, lines, medians)
    elif args.timed_only:
        lines[0] = f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {os.cpu_count()} CPUs ({cpu}), " \
                   f"Linux {platform.release()}, load average {os.getloadavg()[0]:.1f}."
        timed_figures(lines, args.timed_waits)
    else:
        if not args.skip_throughput:
            throughput(args, lines, medians)
            slow_peer(args, lines, medians)
            targets(lines, medians)
        timed_figures(lines, args.timed_waits)
    if not args.timed_only and not args.slow_only and not args.skip_static:
        static_figures(lines)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        open(args.out, "w").write(text)


if __name__ == "__main__":
    sys.exit(main())
