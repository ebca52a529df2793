#!/usr/bin/env bash
# loadspec beside wrk, oha, hey, Goose and a bare reqwest loop, in one run of the shared peer
# harness (../shared/bench/): the figures of docs/performance.md.
#
#   benches/peers.sh [phase...]   phases: tp clients mem stall k10 long
#                                 (default: tp clients mem stall k10)
#   env: BENCH=<writable copy of the harness>  (default: a fresh copy of ../shared/bench)
#        OUT=<results dir>                     (default: target/peers/<time>)
#        LONG_SECONDS=1800                     (the "long" phase: RSS over a run at full speed)
#
# Every run goes to 127.0.0.1 and is bounded by the harness's hard timeout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PHASES="${*:-tp clients mem stall k10}"
for phase in $PHASES; do
  case "$phase" in
    tp|clients|mem|stall|k10|long) ;;
    *) echo "benches/peers.sh: unknown phase '$phase' (expected tp, clients, mem, stall, k10 or long)" >&2
       exit 2 ;;
  esac
done
if [[ -z "${BENCH:-}" ]]; then
  BENCH="$(mktemp -d)/bench"
  cp -r ../shared/bench "$BENCH" && chmod -R u+w "$BENCH"
fi
"$BENCH/peers/setup.sh" --check || "$BENCH/peers/setup.sh"
cargo build --release --example peer_bench
PB="${CARGO_TARGET_DIR:-$PWD/target}/release/examples/peer_bench"
export BENCH_OUT="${OUT:-$PWD/target/peers/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$BENCH_OUT"
RUN="$BENCH/peers/run.sh"; M="$BENCH/peers/measure.sh"; REQWEST="$BENCH/target/release/reqwest-min"
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
    long) "$BENCH/peers/servers.sh" start
          seconds="${LONG_SECONDS:-1800}"
          BENCH_TAG=long URL=http://127.0.0.1:18080/ C=64 D="$seconds" \
            "$M" --timeout $(( seconds + 100 )) loadspec-long -- "$PB" --monitor-interval 5s
          "$BENCH/peers/servers.sh" stop ;;
  esac
done
python3 "$BENCH/peers/parse.py" report "$BENCH_OUT" | tee "$BENCH_OUT/table.md"
echo "results in $BENCH_OUT"
