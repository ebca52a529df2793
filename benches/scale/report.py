#!/usr/bin/env python3
"""The scale phases' table (benches/peers.sh k100, open50k, stall5k), from the records the
harness's measure.sh appended to $BENCH_OUT/records.jsonl: ratios first, then the figures.

    report.py k100 BENCH_OUT --users N --delay-ms MS --ramp-s S
    report.py open50k BENCH_OUT --rate R
    report.py stall5k BENCH_OUT --rate R
"""
import argparse
import json
import sys
from pathlib import Path


def records(out, tag):
    path = Path(out) / "records.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("tag") == tag]


def fmt(value, digits=1):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def rss_over_hold(out, name, ramp_s):
    """A loadspec part's resident memory from its results.json (one sample per monitor
    interval): (MiB just after the ramp-up, MiB at the end, the largest MiB) or None."""
    samples = []
    for path in sorted((Path(out) / "runs" / "k100").glob(f"{name}/loadspec/**/results.json")):
        run = json.loads(path.read_text())
        for step in run.get("steps", []):
            samples += [(s["t_s"], s["process_rss"]) for s in step.get("system", [])]
    held = [rss for t, rss in sorted(samples) if t >= ramp_s + 5]
    if not held:
        return None
    mib = 1024 * 1024
    return held[0] / mib, held[-1] / mib, max(held) / mib


def k100(rows, users, delay_ms, out, ramp_s):
    # A tool's users may be split over processes (`<name>-part<i>`): their figures add up.
    tools = {}
    for r in rows:
        tools.setdefault(r["name"].split("-part")[0], []).append(r)
    ideal = users / (delay_ms / 1000.0)
    print(f"\n### {users:,} concurrent users, /delay/{delay_ms} (ideal {ideal:,.0f} requests/s)\n")
    print("| tool | processes | rc | requests/s | of ideal | errors | peak RSS MiB (sum) | KiB per user | CPU µs/req |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    for name, parts in tools.items():
        total = lambda key: sum((p.get(key) or 0) for p in parts)
        rps, requests, cpu = total("rps"), total("requests"), total("cpu_s")
        rss = total("max_rss_kb")
        rcs = ",".join(sorted({str(p.get("rc")) for p in parts}))
        print("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            name, len(parts), rcs, fmt(rps, 0), fmt(rps / ideal, 4) if rps else "—",
            fmt(total("errors")), fmt(rss / 1024, 1), fmt(rss / users, 2),
            fmt(cpu * 1e6 / requests, 1) if requests else "—"))
    # Memory over the hold: flat means the end is no higher than just after the ramp-up.
    flat = [(p["name"], rss_over_hold(out, p["name"], ramp_s)) for parts in tools.values()
            for p in parts]
    flat = [(n, f) for n, f in flat if f]
    if flat:
        print("\n| part | RSS after the ramp-up MiB | RSS at the end MiB | largest MiB | end / start |")
        print("|---|---:|---:|---:|---:|")
        for name, (start, end, top) in flat:
            print(f"| {name} | {start:,.1f} | {end:,.1f} | {top:,.1f} | {end / start:.3f} |")


def open_rate(rows, rate):
    print(f"\n### Open model at {rate:,} arrivals/s\n")
    print("| tool | rc | achieved/s | of target | dropped | start lag p99 ms | p99 ms | CPU µs/req | CPU s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        rps = r.get("rps")
        print("| {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
            r["name"], r.get("rc"), fmt(rps, 0), fmt(rps / rate, 4) if rps else "—",
            fmt(r.get("dropped")), fmt(r.get("start_lag_p99_ms"), 2), fmt(r.get("p99_ms"), 2),
            fmt(r.get("cpu_us_per_req"), 1), fmt(r.get("cpu_s"), 2)))


def stall(rows, rate):
    # The delay-server freezes 1 s of every 5 and answers after 10 ms otherwise: at a constant
    # rate a fifth of the arrivals land in a freeze, uniformly, and wait out the rest of it,
    # so the share of latencies above 10 ms + x (x < 1 s) is 0.2 * (1 - x).
    def truth(q):
        return 10.0 + 1000.0 * max(0.0, 1.0 - (1.0 - q) / 0.2)
    print(f"\n### Coordinated omission: /stall at {rate:,}/s, corrected percentiles against the truth\n")
    print("| tool | rc | percentile | claimed ms | truth ms | claimed / truth | service (uncorrected) ms |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for r in rows:
        for name, q, service in (("p90", 0.90, None), ("p99", 0.99, "service_p99_ms"),
                                 ("p99.9", 0.999, "service_p999_ms")):
            key = {"p90": "p90_ms", "p99": "p99_ms", "p99.9": "p999_ms"}[name]
            claimed = r.get(key)
            print("| {} | {} | {} | {} | {} | {} | {} |".format(
                r["name"], r.get("rc"), name, fmt(claimed, 1), fmt(truth(q), 1),
                fmt(claimed / truth(q), 3) if claimed else "—",
                fmt(r.get(service), 1) if service else "—"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("phase", choices=["k100", "open50k", "stall5k"])
    p.add_argument("out")
    p.add_argument("--users", type=int, default=100000)
    p.add_argument("--delay-ms", type=int, default=10000)
    p.add_argument("--ramp-s", type=float, default=30.0)
    p.add_argument("--rate", type=int, default=50000)
    a = p.parse_args()
    rows = records(a.out, a.phase)
    if not rows:
        print(f"{a.phase}: no records in {a.out}", file=sys.stderr)
        return 1
    if a.phase == "k100":
        k100(rows, a.users, a.delay_ms, a.out, a.ramp_s)
    elif a.phase == "open50k":
        open_rate(rows, a.rate)
    else:
        stall(rows, a.rate)
    return 0


if __name__ == "__main__":
    sys.exit(main())
