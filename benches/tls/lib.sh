# Helpers of benches/peers.sh's HTTPS and HTTP/2 phases (tls tls-new h2 h2c k10tls); sourced
# by peers.sh after BENCH (the writable copy of the harness) and BENCH_OUT are set.
# benches/tls/README.md says what the phases measure and why they are set up this way.
#
# * Certificates: a CA and a server certificate for 127.0.0.1/localhost signed by it, made
#   with openssl into $BENCH_OUT/tls/ once per run (TLS_KEY=ec: P-256, the default; rsa: 2048).
# * Servers: a copy of the harness's scripts in $BENCH/peers-tls/ whose nginx.conf is the
#   harness's with benches/tls/nginx-tls.conf included into its http block; the copy's
#   servers.sh and measure.sh are the harness's own, so nginx and the delay-server are pinned,
#   started and stopped and their CPU counted exactly as in the other phases. The harness
#   itself (../shared/bench) is never written.
TLS_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TLSH="$BENCH/peers-tls"
TLS_DIR="$BENCH_OUT/tls"
CA="$TLS_DIR/ca.pem"
TM="$TLSH/measure.sh"
TLS_LOG="$TLS_DIR/tls-new-access.log"

tls_setup() {
  if ! command -v openssl >/dev/null; then
    echo "tls: openssl missing: installing Debian's openssl with apt-get"
    apt-get install -y openssl >/dev/null || { apt-get update >/dev/null && apt-get install -y openssl; }
  fi
  mkdir -p "$TLS_DIR"
  [[ -s "$TLS_DIR/server.pem" ]] || tls_certs
  mkdir -p "$TLSH"
  cp "$BENCH"/peers/*.sh "$BENCH"/peers/*.py "$BENCH"/peers/*.lua "$TLSH"/
  # measure.sh runs parse.py with the harness's venv python when there is one.
  if [[ -d "$BENCH/peers/.venv" ]]; then ln -sfn "$BENCH/peers/.venv" "$TLSH/.venv"; fi
}

tls_certs() {
  local key
  case "${TLS_KEY:-ec}" in
    ec) key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
    rsa) key=(-newkey rsa:2048) ;;
    *) echo "tls: TLS_KEY must be ec or rsa, not '${TLS_KEY}'" >&2; return 2 ;;
  esac
  cat >"$TLS_DIR/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = loadspec peer bench CA
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  (
    cd "$TLS_DIR"
    openssl req -x509 "${key[@]}" -nodes -days 30 -config openssl.cnf -extensions ca \
      -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -new "${key[@]}" -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
      -extfile openssl.cnf -extensions leaf -out server.pem 2>/dev/null
    openssl verify -CAfile ca.pem server.pem >/dev/null
  ) || { echo "tls: making the certificates failed (see $TLS_DIR)" >&2; return 1; }
  echo "tls: CA $CA and a ${TLS_KEY:-ec} server certificate for 127.0.0.1 made with $(openssl version | cut -d' ' -f1-2)"
}

# tls_conf WORKERS CONNECTIONS: the copy's nginx.conf, the harness's with the TLS servers.
tls_conf() {
  local workers="$1" conns="$2" conf="$TLSH/nginx.conf"
  sed "s|@TLS@|$TLS_DIR|g" "$TLS_SRC/nginx-tls.conf" >"$TLS_DIR/nginx-tls.conf"
  sed -e "s/^worker_processes .*;/worker_processes $workers;/" \
      -e "s/worker_connections [0-9]*;/worker_connections $conns;/" "$BENCH/peers/nginx.conf" \
    | awk -v inc="$TLS_DIR/nginx-tls.conf" '
        { line[NR] = $0 }
        END {
          for (i = NR; i > 0; i--) if (line[i] ~ /^}[[:space:]]*$/) { last = i; break }
          for (i = 1; i <= NR; i++) { if (i == last) print "    include " inc ";"; print line[i] }
        }' >"$conf"
  grep -q "include $TLS_DIR/nginx-tls.conf;" "$conf" && grep -q "^worker_processes $workers;" "$conf" \
    || { echo "tls: could not derive $conf from the harness's nginx.conf" >&2; return 1; }
}

# tls_start PHASE [WORKERS] [CONNECTIONS]: nginx (with the TLS servers) and the delay-server.
tls_start() {
  local phase="$1" workers="${2:-1}" conns="${3:-16384}"
  "$BENCH/peers/servers.sh" stop >/dev/null   # the plain harness's servers, if still up
  tls_conf "$workers" "$conns" || return 1
  echo "== $phase: nginx $(nginx -v 2>&1 | sed 's/.*\///') with TLS ($workers worker(s) on CPU 0, worker_connections $conns)"
  "$TLSH/servers.sh" start || return 1
  curl -fsS --noproxy '*' -m 2 --cacert "$CA" https://127.0.0.1:18443/ >/dev/null \
    || { echo "tls: https://127.0.0.1:18443/ does not answer (see $TLSH/run/nginx-error.log)" >&2; return 1; }
}

tls_stop() { "$TLSH/servers.sh" stop; }

# tls_run TAG NAME SECONDS [VAR=VALUE...] -- COMMAND [ARGS...]: one measured run (the harness's
# measure.sh: generator pinned to CPU 1, /usr/bin/time -v, hard timeout SECONDS + 50), with
# the variables set for COMMAND. Skipped, and said so, when COMMAND (or $NEED) is missing.
tls_run() {
  local tag="$1" name="$2" secs="$3" envs=() rc=0
  shift 3
  while [[ $# -gt 0 && "$1" != "--" ]]; do envs+=("$1"); shift; done
  shift
  local need="${NEED:-$1}"
  if ! command -v "$need" >/dev/null; then
    echo "[$tag] $name: SKIPPED: $need is not installed" | tee -a "$TLS_DIR/skipped.txt"
    return 0
  fi
  BENCH_TAG="$tag" BENCH_ENV_NOTE="${envs[*]}" env "${envs[@]}" \
    "$TM" --timeout $(( secs + 50 )) "$name" -- "$@" || rc=$?
  [[ $rc == 0 ]] || echo "[$tag] $name: exit code $rc (recorded; logs in $BENCH_OUT/runs/${tag//[^A-Za-z0-9._-]/_}/$name)"
  sleep 1
}

# tls_counted_run: tls_run against the tls-new server, then nginx's own count of the run's
# handshakes (its log has one line per connection: "r" resumed, "." full), added to the
# run's record as server_handshakes, server_resumed and server_tls.
tls_counted_run() {
  local tag="$1" name="$2" before
  before=$(wc -l <"$TLS_LOG" 2>/dev/null || echo 0)
  tls_run "$@"
  sleep 1.5   # nginx writes its buffered log once a second
  [[ -d "$BENCH_OUT/runs/${tag//[^A-Za-z0-9._-]/_}/$name" ]] || return 0
  read -r full resumed proto < <(awk -v from="$before" 'NR > from {
      if ($1 == "r") r++; else f++; p[$2 " " $3]++ }
    END { best = "-"; for (k in p) if (p[k] > n) { n = p[k]; best = k }
          gsub(" ", "/", best); print f + 0, r + 0, best }' "$TLS_LOG" 2>/dev/null || echo "0 0 -")
  local all=$(( full + resumed ))
  echo "[$tag] $name: server side: $all handshakes, $resumed resumed ($(( all ? 100 * resumed / all : 0 )) %), $proto" \
    | tee -a "$TLS_DIR/handshakes.txt"
  python3 "$TLS_SRC/report.py" annotate "$BENCH_OUT" "$tag" "$name" \
    "server_handshakes=$all" "server_resumed=$resumed" "server_tls=$proto"
}

# h2load comes from Debian's nghttp2-client; installed here when missing.
tls_need_h2load() {
  command -v h2load >/dev/null && return 0
  echo "tls: h2load missing: installing Debian's nghttp2-client with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y nghttp2-client >/dev/null 2>&1 \
    || { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y nghttp2-client >/dev/null; } \
    || echo "tls: could not install nghttp2-client: the h2load runs are skipped" >&2
  command -v h2load >/dev/null && echo "tls: $(h2load --version)"
  return 0
}

# Whether to run oha over HTTP/2: not when this oha lacks --http2 (a missing oha is said
# and skipped by tls_run).
tls_oha_h2() {
  command -v oha >/dev/null || return 0
  oha --help 2>/dev/null | grep -q -- '--http2' && return 0
  echo "tls: $(oha --version) has no --http2: its HTTP/2 runs are skipped" | tee -a "$TLS_DIR/skipped.txt"
  return 1
}
