#!/usr/bin/env bash
# h2load (nghttp2-client) as a generator of the peer harness: runs `h2load ARGS...` and adds the
# harness's `BENCH_JSON {...}` line, read from h2load's summary (h2load prints no percentiles:
# mean and max only). Exits non-zero when no request succeeded (h2load itself exits 0 then).
#   benches/tls/h2load-bench.sh -c 64 -m 1 -t 1 -D 10 https://127.0.0.1:18444/
set -uo pipefail
out="${BENCH_RUN_DIR:-${TMPDIR:-/tmp}}/h2load.txt"
h2load "$@" >"$out" 2>&1
rc=$?
cat "$out"
awk -v rc="$rc" '
  function ms(v) {
    if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
    if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
    if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
    return v + 0
  }
  /^TLS Protocol:/ && !proto { proto = $3 }
  /^Cipher:/ && !cipher { cipher = $2 }
  /^Application protocol:/ { alpn = $3 }
  /^finished in / { dur = $3; sub(/s,$/, "", dur); rps = $4 }
  /^requests: / { total = $2; ok = $8; failed = $10; errored = $12; timeout = $14 }
  /^status codes: / { s2 = $3 + 0; s3 = $5 + 0; s4 = $7 + 0; s5 = $9 + 0 }
  /^time for request:/ { mean = ms($6); max = ms($5) }
  END {
    if (ok == "") { print "h2load-bench: no summary in h2load output" > "/dev/stderr"; exit 1 }
    printf "BENCH_JSON {\"requests\":%d,\"errors\":%d,\"duration_s\":%.3f,\"rps\":%.1f,\"mean_ms\":%.3f,\"max_ms\":%.3f,\"h2load_failed\":%d,\"h2load_errored\":%d,\"h2load_timeout\":%d,\"non2xx\":%d,\"tls_protocol\":\"%s\",\"tls_cipher\":\"%s\",\"alpn\":\"%s\"}\n",
      ok, failed + errored + timeout + s3 + s4 + s5, dur, rps, mean, max, failed, errored, timeout,
      s3 + s4 + s5, proto, cipher, alpn
    if (ok == 0 && rc == 0) exit 1
    exit rc
  }' "$out"
