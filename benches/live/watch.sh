#!/usr/bin/env bash
# The watchers of the `live` bench phase, for SECONDS: a dashboard following /events and a
# Prometheus-like scrape of /metrics every second, so the run pays for what it serves.
#   watch.sh DASHBOARD_PORT METRICS_PORT SECONDS
set -uo pipefail
dash=$1; metrics=$2; seconds=$3
end=$(( SECONDS + seconds ))
( until curl -sN --noproxy '*' -m $(( seconds + 2 )) "http://127.0.0.1:$dash/events" >/dev/null 2>&1 \
      || (( SECONDS >= end )); do sleep 0.1; done ) &
scrapes=0
while (( SECONDS < end )); do
  curl -fs --noproxy '*' -m 1 "http://127.0.0.1:$metrics/metrics" >/dev/null 2>&1 && scrapes=$(( scrapes + 1 ))
  sleep 1
done
echo "watch: $scrapes scrapes of /metrics"
wait
