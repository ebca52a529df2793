#!/usr/bin/env bash
# loadspec beside wrk, oha, hey, Goose and a bare reqwest loop, in one run of the shared peer
# harness (../shared/bench/): the figures of docs/performance.md.
#
#   benches/peers.sh [phase...]   phases: tp clients mem stall k10 long
#                                         tls tls-new h2 h2c k10tls   (HTTPS and HTTP/2)
#                                         live   (the cost of the dashboard and exporters)
#                                 (default: tp clients mem stall k10)
#   env: BENCH=<writable copy of the harness>  (default: a fresh copy of ../shared/bench)
#        OUT=<results dir>                     (default: target/peers/<time>)
#        LONG_SECONDS=1800                     (the "long" phase: RSS over a run at full speed)
#        SETUP=0                               (skip the harness's setup.sh: use what is installed)
#   HTTPS and HTTP/2 phases (benches/tls/: README.md, nginx-tls.conf, lib.sh), alternating the
#   tools over TLS_REPS reps like clients, each run measured by the harness's measure.sh:
#        tls      HTTPS keep-alive, 64 connections: loadspec (HTTP/1.1) vs wrk vs oha
#        tls-new  HTTPS, a new connection per request (nginx keepalive_timeout 0): handshake
#                 cost; loadspec resumes TLS sessions on reconnect, nginx's log counts who does
#        h2       HTTP/2 over TLS (ALPN h2), 64 connections, one stream each: loadspec
#                 (--http-version 2) vs h2load (nghttp2-client, apt-installed if missing) vs oha --http2
#        h2c      the same over cleartext HTTP/2 with prior knowledge
#        k10tls   10,000 HTTPS users for 60 s against the delay-server behind nginx TLS: RSS per user
#        TLS_DUR=10 TLS_REPS=3 (tls tls-new h2 h2c)   K10TLS_USERS=10000 K10TLS_DUR=60 (k10tls)
#        TLS_KEY=ec|rsa (server key: P-256, the default, or RSA 2048; made with openssl per run)
#   Scale phases (benches/scale/: README.md, report.py prints their table):
#        k100     K100_USERS=100000 users held for K100_DUR=60 s (after a K100_RAMP=30 s ramp-up)
#                 against the harness's delay-server answering /delay/K100_DELAY_MS=10000, in as
#                 few processes as `ulimit -Hn` allows: RSS per user, errors, the achieved rate
#                 against users / delay, RSS over the hold; wrk beside it (K100_TOOLS="loadspec
#                 wrk"; K100_TOOLS=loadspec K100_DUR=600: memory over ten minutes of 100,000 users)
#        open50k  the open model at OPEN_RATE=50000 arrivals/s for OPEN_DUR=20 s against nginx:
#                 achieved rate, start-time lag p99, dropped arrivals; oha -q beside it
#        stall5k  the open model at 5,000/s on /stall (20 % frozen): corrected percentiles
#                 against the truth the freeze implies
#   live: loadspec alone vs loadspec with --dashboard, --metrics-listen and --otlp (pushing
#        every second to benches/live/sink.py) while benches/live/watch.sh follows the event
#        stream and scrapes /metrics every second; LIVE_REPS=3 alternating reps of LIVE_DUR=10 s.
#   Smoke check (not benchmark figures): TLS_DUR=3 TLS_REPS=1 K10TLS_USERS=2000 K10TLS_DUR=5 \
#        benches/peers.sh tls tls-new h2 h2c k10tls     (the full run: about 15 minutes)
#
# Every run goes to 127.0.0.1 and is bounded by the harness's hard timeout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PHASES="${*:-tp clients mem stall k10}"
for phase in $PHASES; do
  case "$phase" in
    tp|clients|mem|stall|k10|long|tls|tls-new|h2|h2c|k10tls|live|k100|open50k|stall5k) ;;
    *) echo "benches/peers.sh: unknown phase '$phase' (expected tp, clients, mem, stall, k10, long," \
            "tls, tls-new, h2, h2c, k10tls, live, k100, open50k or stall5k)" >&2
       exit 2 ;;
  esac
done
TLS_DUR="${TLS_DUR:-10}"; TLS_REPS="${TLS_REPS:-3}"
K10TLS_USERS="${K10TLS_USERS:-10000}"; K10TLS_DUR="${K10TLS_DUR:-60}"
if [[ -z "${BENCH:-}" ]]; then
  BENCH="$(mktemp -d)/bench"
  cp -r ../shared/bench "$BENCH" && chmod -R u+w "$BENCH"
fi
if [[ "${SETUP:-1}" != 0 ]]; then "$BENCH/peers/setup.sh" --check || "$BENCH/peers/setup.sh"; fi
cargo build --release --example peer_bench
PB="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/peer_bench"
export BENCH_OUT="${OUT:-$PWD/target/peers/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$BENCH_OUT"
RUN="$BENCH/peers/run.sh"; M="$BENCH/peers/measure.sh"; REQWEST="$BENCH/target/release/reqwest-min"
LUA="$BENCH/peers/wrk_report.lua"
TLS_PHASES=""
for phase in $PHASES; do
  case "$phase" in tls|tls-new|h2|h2c|k10tls) TLS_PHASES+=" $phase" ;; esac
done
if [[ -n "$TLS_PHASES" ]]; then
  source benches/tls/lib.sh
  tls_setup
  if [[ " $TLS_PHASES " == *" h2 "* || " $TLS_PHASES " == *" h2c "* ]]; then tls_need_h2load; fi
  trap 'tls_stop >/dev/null 2>&1' EXIT
fi
H2LOAD="$PWD/benches/tls/h2load-bench.sh"
for phase in $PHASES; do
  case "$phase" in
    tp) EXTRA_NAME=loadspec EXTRA_CMD="$PB" TOOLS="oha goose goose-shared reqwest-current hey" \
          "$RUN" tp ;;
    # loadspec's two HTTP clients beside the bare reqwest loop, alternating, as in tp.
    clients) "$BENCH/peers/servers.sh" start
          for rep in 1 2 3; do
            BENCH_TAG="clients/r$rep" URL=http://127.0.0.1:18080/ C=64 D=10 \
              "$M" --timeout 60 loadspec-direct -- "$PB"
            BENCH_TAG="clients/r$rep" URL=http://127.0.0.1:18080/ C=64 D=10 \
              LOADSPEC_HTTP_CLIENT=reqwest "$M" --timeout 60 loadspec-reqwest -- "$PB"
            BENCH_TAG="clients/r$rep" "$M" --timeout 60 reqwest-current -- \
              "$REQWEST" --runtime current -c 64 -d 10 --url http://127.0.0.1:18080/
          done
          "$BENCH/peers/servers.sh" stop ;;
    mem) EXTRA_NAME=loadspec EXTRA_CMD="$PB" \
          MEM_TOOLS="wrk oha goose-shared reqwest-current loadspec" "$RUN" mem ;;
    stall) EXTRA_NAME=loadspec-open EXTRA_CMD="$PB --rate 1000/s" \
          STALL_TOOLS="oha oha-q-corrected goose reqwest-current reqwest-open loadspec-open" \
          "$RUN" stall ;;
    k10) "$BENCH/peers/servers.sh" start
         BENCH_TAG=k10 URL=http://127.0.0.1:18081/delay/1000 C=10000 D=60 \
           "$M" --timeout 150 loadspec-10000 -- "$PB"
         BENCH_TAG=k10 URL=http://127.0.0.1:18081/delay/1000 C=10000 D=60 \
           LOADSPEC_HTTP_CLIENT=reqwest "$M" --timeout 150 loadspec-reqwest-10000 -- "$PB"
         BENCH_TAG=k10 "$M" --timeout 150 reqwest-current-10000 -- \
           "$REQWEST" --runtime current -c 10000 -d 60 --url http://127.0.0.1:18081/delay/1000
         "$BENCH/peers/servers.sh" stop ;;
    # The dashboard, the Prometheus endpoint and OTLP push on, watched, against off.
    live) "$BENCH/peers/servers.sh" start
          python3 benches/live/sink.py 14318 >"$BENCH_OUT/otlp-sink.log" 2>&1 & sink=$!
          d="${LIVE_DUR:-10}"
          for rep in $(seq 1 "${LIVE_REPS:-3}"); do
            BENCH_TAG="live/r$rep" URL=http://127.0.0.1:18080/ C=64 D="$d" \
              "$M" --timeout 60 loadspec-plain -- "$PB"
            taskset -c 0 benches/live/watch.sh 15665 19464 $(( d + 3 )) >>"$BENCH_OUT/live-watch.log" 2>&1 &
            watcher=$!
            BENCH_TAG="live/r$rep" URL=http://127.0.0.1:18080/ C=64 D="$d" \
              LOADSPEC_DASHBOARD=127.0.0.1:15665 LOADSPEC_METRICS_LISTEN=127.0.0.1:19464 \
              LOADSPEC_OTLP=http://127.0.0.1:14318 LOADSPEC_OTLP_INTERVAL=1s \
              "$M" --timeout 60 loadspec-live -- "$PB"
            wait "$watcher" || true
          done
          kill -TERM "$sink"; wait "$sink" || true
          cat "$BENCH_OUT/otlp-sink.log" "$BENCH_OUT/live-watch.log"
          "$BENCH/peers/servers.sh" stop ;;
    # 100,000 users. A process holds at most `ulimit -Hn` descriptors (20,000 in this machine's
    # sandbox, which lacks CAP_SYS_RESOURCE to raise it), so the users are split over as few
    # generator processes as that allows, each with a delay-server of its own on 18091, 18092 …
    # (the server needs a descriptor per connection too). Each loadspec part connects from
    # addresses of its own (127.0.<part + 1>.1–2), as shards on separate machines would: parts
    # sharing 127.0.0.1 share its 28,232 local ports, and the kernel's search for a free one
    # slows every connect once most are taken (wrk cannot choose, and shares them). All servers sit on CPU 0, all
    # generators on CPU 1, started together; report.py adds their figures up. wrk, split the
    # same way, follows.
    k100) n="${K100_USERS:-100000}"; d="${K100_DUR:-60}"; ramp="${K100_RAMP:-30}"
          delay="${K100_DELAY_MS:-10000}"; hard=$(ulimit -Hn)
          per=$(( hard - 1024 )); (( per > n )) && per=$n
          procs=$(( (n + per - 1) / per )); each=$(( n / procs ))
          echo "k100: $n users over $procs generator process(es) of $each (ulimit -Hn $hard)"
          "$BENCH/peers/servers.sh" start
          k100_servers=()
          for i in $(seq 0 $(( procs - 1 ))); do
            taskset -c 0 "$BENCH/target/release/delay-server" "127.0.0.1:$(( 18091 + i ))" \
              >"$BENCH_OUT/k100-delay-server-$i.log" 2>&1 & k100_servers+=($!)
          done
          for i in $(seq 0 $(( procs - 1 ))); do
            for _ in $(seq 1 50); do
              curl -fsS -m 1 "http://127.0.0.1:$(( 18091 + i ))/delay/0" >/dev/null 2>&1 && break; sleep 0.1
            done
          done
          for tool in ${K100_TOOLS:-loadspec wrk}; do
            parts=()
            for i in $(seq 0 $(( procs - 1 ))); do
              u="http://127.0.0.1:$(( 18091 + i ))/delay/$delay"
              if [[ $tool == loadspec ]]; then
                BENCH_TAG=k100 URL=$u C="$each" D="$d" "$M" --timeout $(( ramp + d + 120 )) \
                  "loadspec-$n-part$i" -- "$PB" --profile ramp --ramp-up "${ramp}s" --monitor-interval 1s \
                  --source-addresses "127.0.$(( i + 1 )).1-127.0.$(( i + 1 )).2" &
                parts+=($!)
              else
                BENCH_TAG=k100 "$M" --timeout $(( ramp + d + 120 )) "wrk-$n-part$i" -- \
                  wrk -t1 -c"$each" -d"$(( ramp + d ))s" --timeout 30s -s "$LUA" "$u" &
                parts+=($!)
              fi
            done
            wait "${parts[@]}" || true
          done
          kill -TERM "${k100_servers[@]}"; wait "${k100_servers[@]}" 2>/dev/null || true
          "$BENCH/peers/servers.sh" stop
          python3 benches/scale/report.py k100 "$BENCH_OUT" --users "$n" --delay-ms "$delay" \
            --ramp-s "$ramp" ;;
    # The open model on one core at 50,000 arrivals/s against nginx's "ok".
    open50k) "$BENCH/peers/servers.sh" start
          r="${OPEN_RATE:-50000}"; d="${OPEN_DUR:-20}"
          BENCH_TAG=open50k URL=http://127.0.0.1:18080/ D="$d" "$M" --timeout $(( d + 60 )) \
            "loadspec-open-$r" -- "$PB" --rate "$r/s" --max-users 2000
          BENCH_TAG=open50k "$M" --timeout $(( d + 60 )) "oha-q-$r" -- \
            oha --no-tui --output-format json -z "${d}s" -c 2000 -q "$r" --latency-correction \
            http://127.0.0.1:18080/
          "$BENCH/peers/servers.sh" stop
          python3 benches/scale/report.py open50k "$BENCH_OUT" --rate "$r" ;;
    # Coordinated omission at 5,000/s: the server freezes 1 s of every 5, so a fifth of the
    # arrivals wait out the rest of a freeze; the truth is computed from the freeze's shape.
    stall5k) "$BENCH/peers/servers.sh" start
          r=5000; d="${STALL5K_DUR:-20}"
          BENCH_TAG=stall5k URL=http://127.0.0.1:18081/stall D="$d" "$M" --timeout $(( d + 60 )) \
            "loadspec-open-$r" -- "$PB" --rate "$r/s" --max-users 8000
          "$BENCH/peers/servers.sh" stop
          python3 benches/scale/report.py stall5k "$BENCH_OUT" --rate "$r" ;;
    long) "$BENCH/peers/servers.sh" start
          seconds="${LONG_SECONDS:-1800}"
          BENCH_TAG=long URL=http://127.0.0.1:18080/ C=64 D="$seconds" \
            "$M" --timeout $(( seconds + 100 )) loadspec-long -- "$PB" --monitor-interval 5s
          "$BENCH/peers/servers.sh" stop ;;
    # HTTPS keep-alive: TLS ends at nginx; loadspec trusts the run's CA (and verifies),
    # oha too (--cacert), wrk verifies nothing.
    tls) tls_start tls
         u=https://127.0.0.1:18443/
         for rep in $(seq 1 "$TLS_REPS"); do
           tls_run "tls/r$rep" loadspec-tls "$TLS_DUR" URL=$u C=64 D="$TLS_DUR" \
             LOADSPEC_CA_CERT="$CA" LOADSPEC_HTTP_VERSION=1.1 -- "$PB"
           tls_run "tls/r$rep" wrk-tls "$TLS_DUR" -- \
             wrk -t1 -c64 -d"${TLS_DUR}s" --timeout 5s -s "$LUA" $u
           tls_run "tls/r$rep" oha-tls "$TLS_DUR" -- \
             oha --no-tui --output-format json -z "${TLS_DUR}s" -c 64 --cacert "$CA" $u
         done
         tls_stop ;;
    # Every response closes its connection, so every request is a TCP connect and a handshake.
    tls-new) tls_start tls-new
         echo "tls-new: nginx closes after every response; loadspec resumes its TLS session on" \
              "each reconnect (abbreviated handshake); nginx's log counts every tool's resumed handshakes"
         u=https://127.0.0.1:18445/
         for rep in $(seq 1 "$TLS_REPS"); do
           tls_counted_run "tls-new/r$rep" loadspec-tls-new "$TLS_DUR" URL=$u C=64 D="$TLS_DUR" \
             LOADSPEC_CA_CERT="$CA" LOADSPEC_HTTP_VERSION=1.1 -- "$PB"
           tls_counted_run "tls-new/r$rep" wrk-tls-new "$TLS_DUR" -- \
             wrk -t1 -c64 -d"${TLS_DUR}s" --timeout 5s -s "$LUA" $u
           tls_counted_run "tls-new/r$rep" oha-tls-new "$TLS_DUR" -- \
             oha --no-tui --output-format json -z "${TLS_DUR}s" -c 64 --cacert "$CA" $u
         done
         tls_stop ;;
    # HTTP/2: 64 connections, one request in flight on each (loadspec: one connection per user).
    h2|h2c) tls_start "$phase"
         if [[ $phase == h2 ]]; then u=https://127.0.0.1:18444/; else u=http://127.0.0.1:18082/; fi
         oha_h2=0; tls_oha_h2 && oha_h2=1
         for rep in $(seq 1 "$TLS_REPS"); do
           tls_run "$phase/r$rep" "loadspec-$phase" "$TLS_DUR" URL=$u C=64 D="$TLS_DUR" \
             LOADSPEC_CA_CERT="$CA" LOADSPEC_HTTP_VERSION=2 -- "$PB"
           NEED=h2load tls_run "$phase/r$rep" "h2load-$phase" "$TLS_DUR" -- \
             "$H2LOAD" -c 64 -m 1 -t 1 -D "$TLS_DUR" $u
           if [[ $oha_h2 == 1 ]]; then
             tls_run "$phase/r$rep" "oha-$phase" "$TLS_DUR" -- \
               oha --no-tui --output-format json -z "${TLS_DUR}s" -c 64 -p 1 --http2 --cacert "$CA" $u
           fi
         done
         tls_stop ;;
    # k10 over HTTPS: nginx ends TLS and proxies to the delay-server over kept connections, so
    # it holds a descriptor per user and per upstream request: with fewer than 2 x users + 1024
    # allowed (ulimit -Hn), two workers (still on CPU 0) each take half the users (reuseport).
    k10tls) n=$K10TLS_USERS; d=$K10TLS_DUR; u=https://127.0.0.1:18446/delay/1000
         workers=1; (( $(ulimit -Hn) >= 2 * n + 1024 )) || workers=2
         conns=$(( 2 * n / workers + 1024 )); (( conns >= 16384 )) || conns=16384
         tls_start k10tls "$workers" "$conns"
         tls_run k10tls "loadspec-tls-$n" $(( d + 40 )) URL=$u C="$n" D="$d" \
           LOADSPEC_CA_CERT="$CA" LOADSPEC_HTTP_VERSION=1.1 -- "$PB"
         tls_run k10tls "loadspec-reqwest-tls-$n" $(( d + 40 )) URL=$u C="$n" D="$d" \
           LOADSPEC_HTTP_CLIENT=reqwest LOADSPEC_CA_CERT="$CA" -- "$PB"
         tls_run k10tls "wrk-tls-$n" $(( d + 40 )) -- \
           wrk -t1 -c"$n" -d"${d}s" --timeout 5s -s "$LUA" $u
         tls_run k10tls "oha-tls-$n" $(( d + 40 )) -- \
           oha --no-tui --output-format json -z "${d}s" -c "$n" --cacert "$CA" $u
         tls_stop ;;
  esac
done
python3 "$BENCH/peers/parse.py" report "$BENCH_OUT" | tee "$BENCH_OUT/table.md"
if [[ -n "$TLS_PHASES" ]]; then
  python3 benches/tls/report.py report "$BENCH_OUT" --harness "$BENCH/peers" | tee -a "$BENCH_OUT/table.md"
  cat "$BENCH_OUT/tls/skipped.txt" 2>/dev/null || true
fi
echo "results in $BENCH_OUT"
