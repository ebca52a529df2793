#!/usr/bin/env python3
"""Tables of benches/peers.sh's HTTPS and HTTP/2 phases, from the harness's records.

  report.py report RESULTS_DIR --harness BENCH/peers   -> markdown, appended to table.md
  report.py annotate RESULTS_DIR TAG NAME KEY=VALUE...  -> adds fields to one run's record

The records are the harness's own (measure.sh -> parse.py record -> RESULTS_DIR/records.jsonl
and runs/<tag>/<name>/record.json); parse.py's `report` lists these runs under "Other runs",
and this adds what those phases are compared on, in the style of its tables: CPU per request
per rep and its median with a same-phase ratio (like the `clients` phase), and for k10tls the
k10 table (peak RSS divided by the users). parse.py's helpers (load, med, fmt) are imported
from the harness copy, so the figures are computed the same way.
"""
import argparse, json, os, sys

PHASES = {  # tag prefix -> (title, reference tool's name prefix)
    "tls": ("HTTPS keep-alive (HTTP/1.1, TLS by nginx on :18443), 64 connections", "wrk"),
    "tls-new": ("HTTPS, a new connection per request (nginx `keepalive_timeout 0` on :18445): "
                "TCP connect + TLS handshake each time, 64 users", "wrk"),
    "h2": ("HTTP/2 over TLS (h2 by ALPN, nginx :18444), 64 connections, one stream each", "h2load"),
    "h2c": ("HTTP/2 cleartext with prior knowledge (nginx :18082), 64 connections, one stream each",
            "h2load"),
}


def annotate(a):
    fields = {}
    for kv in a.fields:
        k, _, v = kv.partition("=")
        try:
            fields[k] = int(v)
        except ValueError:
            fields[k] = v
    path = os.path.join(a.results_dir, "records.jsonl")
    lines = open(path).read().splitlines()
    for i in range(len(lines) - 1, -1, -1):
        if not lines[i].strip():
            continue
        r = json.loads(lines[i])
        if r.get("tag") == a.tag and r.get("name") == a.name:
            r.update(fields)
            lines[i] = json.dumps(r)
            with open(path + ".tmp", "w") as fh:
                fh.write("\n".join(lines) + "\n")
            os.replace(path + ".tmp", path)
            rd = r.get("run_dir")
            if rd and os.path.isdir(rd):
                with open(os.path.join(rd, "record.json"), "w") as fh:
                    fh.write(json.dumps(r) + "\n")
            return
    print(f"report.py annotate: no record {a.tag}/{a.name} in {path}", file=sys.stderr)


def report(a):
    sys.path.insert(0, a.harness)
    from parse import load, med, fmt  # the harness's own helpers

    recs = load(a.results_dir)
    out = []
    for phase, (title, ref) in PHASES.items():
        rs = [r for r in recs if r.get("tag", "").split("/")[0] == phase]
        if not rs:
            continue
        reps = sorted({r["tag"] for r in rs})
        names = []
        for r in rs:
            if r["name"] not in names:
                names.append(r["name"])
        good = lambda n: [r for r in rs if r["name"] == n and r.get("rc") == 0 and r.get("requests")]
        ref_name = next((n for n in names if n.startswith(ref)), None)
        ref_cpu = {r["tag"]: r.get("cpu_us_per_req") for r in good(ref_name)} if ref_name else {}
        durs = [r.get("duration_s") for r in rs if r.get("duration_s")]
        out.append(f"### `{phase}`: {title}, {fmt(med(durs), 0)} s, {len(reps)} alternating rep(s)\n")
        hand = phase == "tls-new"
        out.append("| tool | CPU µs/req per rep | CPU µs/req median | CPU ratio to " + (ref_name or "–")
                   + " (median, same rep) | req/s median | mean ms | p99 ms | peak RSS MiB "
                   "| server CPU s | errors |"
                   + (" handshakes: client (resumed) | handshakes: server (resumed) |" if hand else "")
                   + " runs ok |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if hand else "") + "---:|")
        for n in names:
            all_n = [r for r in rs if r["name"] == n]
            g = good(n)
            per_rep = " / ".join(fmt(r.get("cpu_us_per_req"), 1) for r in g) or "–"
            ratios = [r["cpu_us_per_req"] / ref_cpu[r["tag"]] for r in g
                      if r.get("cpu_us_per_req") and ref_cpu.get(r["tag"])]
            def hs(key, resumed_key):
                vals = [(r[key], r.get(resumed_key, 0)) for r in g if r.get(key) is not None]
                if not vals:
                    return "–"
                h, res = med([v[0] for v in vals]), med([v[1] for v in vals])
                return f"{fmt(h, 0)} ({fmt(res, 0)})"
            cells = [n, per_rep, fmt(med([r.get("cpu_us_per_req") for r in g]), 1),
                     fmt(med(ratios), 2) + "×" if ratios else "–",
                     fmt(med([r.get("rps") for r in g]), 0), fmt(med([r.get("mean_ms") for r in g]), 2),
                     fmt(med([r.get("p99_ms") for r in g]), 2),
                     fmt(med([(r.get("max_rss_kb") or 0) / 1024 for r in g]), 1),
                     fmt(med([r.get("server_cpu_s") for r in g]), 2),
                     fmt(sum(r.get("errors") or 0 for r in all_n))]
            if hand:
                cells += [hs("tls_handshakes", "tls_resumed"), hs("server_handshakes", "server_resumed")]
            cells.append(f"{len(g)}/{len(all_n)}")
            out.append("| " + " | ".join(str(c) for c in cells) + " |")
        out.append("")
        if phase == "tls-new":
            out.append("Client handshakes are the tool's own count over its measured window (loadspec's "
                       "`tls_handshakes`/`tls_resumed`); server handshakes are nginx's log "
                       "(`$ssl_session_reused`) over the whole run. loadspec resumes its TLS session "
                       "on reconnect (an abbreviated handshake).\n")
    k = [r for r in recs if r.get("tag") == "k10tls"]
    if k:
        out.append("### `k10tls`: HTTPS users (nginx TLS on :18446 → delay-server `/delay/1000` over "
                   "kept upstream connections), peak RSS over the run divided by the users\n")
        out.append("| generator | users | requests | errors | req/s | p99 ms | CPU µs/req | peak RSS MiB | KiB per user | rc |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in k:
            tail = r["name"].rsplit("-", 1)[-1]
            users = r.get("users") or (int(tail) if tail.isdigit() else None)
            rss = r.get("max_rss_kb") or 0
            out.append("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                r["name"], fmt(users), fmt(r.get("requests")), fmt(r.get("errors")), fmt(r.get("rps"), 0),
                fmt(r.get("p99_ms"), 1), fmt(r.get("cpu_us_per_req"), 1), fmt(rss / 1024, 1),
                fmt(rss / users, 1) if users else "–", r.get("rc")))
        out.append("")
    if out:
        print("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    r = sp.add_parser("report"); r.add_argument("results_dir"); r.add_argument("--harness", required=True)
    an = sp.add_parser("annotate"); an.add_argument("results_dir"); an.add_argument("tag")
    an.add_argument("name"); an.add_argument("fields", nargs="*")
    a = ap.parse_args()
    {"report": report, "annotate": annotate}[a.cmd](a)


if __name__ == "__main__":
    main()
