#!/usr/bin/env python3
"""Checks the insuree_flow runs against the real openIMIS: every results.json under the given
directory must have completed, with no failed iteration and no failed request. Prints each
run's steps, the verdict matrix's outcome and the capacity line (criteria are reported, not
enforced: a 2-core machine running openIMIS beside the build is no capacity test).

    .ci/openimis-check.py target/loadspec-openimis [expected-runs]
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1])
expected = int(sys.argv[2]) if len(sys.argv) > 2 else 1
runs = sorted(root.rglob("results.json"))
problems = []
for path in runs:
    r = json.loads(path.read_text())
    name, mode, status = r["run"]["name"], r["run"]["mode"], r["run"]["status"]
    line = f"{name} ({mode}): {status}"
    if status != "completed":
        problems.append(f"{name}: status {status} ({r['run'].get('status_reason')})")
    for setup in r.get("lifecycle", []):
        if not setup["ok"]:
            problems.append(f"{name}: {setup['hook']} failed: {setup.get('error')}")
    for step in r["steps"]:
        for s in step["scenarios"]:
            it, req = s["iterations"], s["total_requests"]
            line += f" · {s['users']} users: {it['count']} iterations, {req['count']} requests, p95 {req['p95_ms']:.0f} ms"
            if it["failures"] or req["failures"]:
                errors = "; ".join(f"{e['kind']}: {e['sample']}" for e in it["errors"] + req["errors"])
                problems.append(f"{name}, {s['users']} users: {it['failures']} failed iterations, {req['failures']} failed requests: {errors}")
    criteria = r.get("criteria")
    if criteria:
        line += f" · criteria {criteria['verdict']}: {criteria['capacity']['summary']}"
    print(line)
if len(runs) < expected:
    problems.append(f"expected {expected} results under {root}, found {len(runs)}")
for p in problems:
    print(f"openIMIS check: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
