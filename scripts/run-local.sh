#!/usr/bin/env bash
# `make run`: the whole platform on this machine, without Docker, in the background.
# Prepares RUN_DIR (private TimescaleDB, broker files, Prometheus/Alertmanager configs), then runs
# the Procfile with honcho under nohup. Stop with scripts/stop-local.sh (`make stop`).
#
#   ENVMON_RUN_DIR            run folder (default ./run): data, logs, pid file
#   ENVMON_RUN_PG_PORT        PostgreSQL port (default 55432); ENVMON_RUN_MQTT_PORT (51883),
#   ENVMON_RUN_INGEST_PORT (8001), _ALERTS_PORT (8002), _COMPENSATION_PORT (8003), _HJ212_HTTP_PORT (8004),
#   ENVMON_RUN_SENSORTHINGS_PORT (8005),
#   ENVMON_RUN_HJ212_TCP_PORT (59212), _PROMETHEUS_PORT (59090), _ALERTMANAGER_PORT (59093)
#   ENVMON_RUN_SKIP           Procfile processes not to start, space-separated (e.g. "hj212-gateway")
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="$(mkdir -p "${ENVMON_RUN_DIR:-$REPO/run}" && cd "${ENVMON_RUN_DIR:-$REPO/run}" && pwd)"
PYTHON="$REPO/.venv/bin/python"
PID_FILE="$RUN_DIR/honcho.pid"
READY_SECONDS=120

log() { printf '[run-local] %s\n' "$*"; }

if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
  log "already running (pid $(cat "$PID_FILE")); scripts/stop-local.sh stops it"
  exit 0
fi

log "preparing $RUN_DIR (database, migrations, seed, broker accounts)"
(cd "$REPO" && "$PYTHON" -m devstack.localstack prepare "$RUN_DIR")
set -a
# shellcheck disable=SC1091
. "$RUN_DIR/env"
set +a

processes=()
while read -r name _; do
  name="${name%:}"
  case "$name" in ""|\#*) continue ;; esac
  [[ " ${ENVMON_RUN_SKIP:-} " == *" $name "* ]] || processes+=("$name")
done < "$REPO/Procfile"

log "starting: ${processes[*]}"
mkdir -p "$RUN_DIR/logs"
# setsid: the stack gets its own session, so closing this terminal does not stop it.
nohup setsid "$REPO/.venv/bin/honcho" start -f "$REPO/Procfile" -e "$RUN_DIR/env" -d "$REPO" --no-colour \
  "${processes[@]}" >"$RUN_DIR/logs/honcho.log" 2>&1 </dev/null &
echo $! >"$PID_FILE"

wait_for() {  # wait_for WHAT URL
  local deadline=$((SECONDS + READY_SECONDS))
  until curl -sf -o /dev/null "$2"; do
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      log "the stack stopped while waiting for $1; see $RUN_DIR/logs/honcho.log"; tail -n 30 "$RUN_DIR/logs/honcho.log"; exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then log "$1 not ready after ${READY_SECONDS}s; see $RUN_DIR/logs/honcho.log"; exit 1; fi
    sleep 1
  done
}
wait_for "ingest" "http://127.0.0.1:$ENVMON_RUN_INGEST_PORT/readyz"
wait_for "Prometheus" "http://127.0.0.1:$ENVMON_RUN_PROMETHEUS_PORT/-/ready"
wait_for "compensation" "http://127.0.0.1:$ENVMON_RUN_COMPENSATION_PORT/healthz"
wait_for "sensorthings" "http://127.0.0.1:$ENVMON_RUN_SENSORTHINGS_PORT/healthz"

cat <<URLS
[run-local] envmon is running (logs: $RUN_DIR/logs/honcho.log; stop: make stop)
  TimescaleDB      postgresql://postgres@127.0.0.1:$ENVMON_RUN_POSTGRES_PORT/envmon
  MQTT broker      mqtt://127.0.0.1:$ENVMON_RUN_MQTT_PORT  (gateway accounts: services/storage/registry/gateways.yaml)
  Ingest           http://127.0.0.1:$ENVMON_RUN_INGEST_PORT/metrics  /healthz  /readyz
  KPI API (alerts) http://127.0.0.1:$ENVMON_RUN_ALERTS_PORT/v1/kpi/water?period=$(date +%Y-%m)  /v1/kpi/air?year=$(date +%Y)
  Compensation     http://127.0.0.1:$ENVMON_RUN_COMPENSATION_PORT/ui/  (finance pages; API docs /docs)
  SensorThings     http://127.0.0.1:$ENVMON_RUN_SENSORTHINGS_PORT/v1.1  (partners, docs/partners.md; Xiaoshan's demo key: X-API-Key: dev-xiaoshan-sensorthings-key)
  HJ 212 gateway   tcp://127.0.0.1:$ENVMON_RUN_HJ212_TCP_PORT  metrics http://127.0.0.1:$ENVMON_RUN_HJ212_HTTP_PORT/metrics
  Prometheus       http://127.0.0.1:$ENVMON_RUN_PROMETHEUS_PORT/
  Alertmanager     http://127.0.0.1:$ENVMON_RUN_ALERTMANAGER_PORT/
  Grafana          not started locally (no Debian package): docker compose up, or envmon grafana push (docs/running.md)
The simulator is backfilling from 1 January $(( $(TZ=Asia/Shanghai date +%Y) - 1 )) (Beijing time), then continues in real time.
URLS
echo "  Demo logins of the compensation pages (development only; production refuses them):"
cat "$RUN_DIR/demo-logins.txt"
