#!/usr/bin/env bash
# `make stop`: stops what scripts/run-local.sh started, and checks nothing of it is left.
# honcho passes SIGTERM to every process (PostgreSQL: smart shutdown once the services have gone).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUN_DIR="$(cd "${ENVMON_RUN_DIR:-$REPO/run}" 2>/dev/null && pwd || true)"
PYTHON="$REPO/.venv/bin/python"
STOP_SECONDS=30

log() { printf '[stop-local] %s\n' "$*"; }

[ -n "$RUN_DIR" ] || { log "nothing to stop (no run folder)"; exit 0; }
PID_FILE="$RUN_DIR/honcho.pid"
stack_pids() { (cd "$REPO" && env -u ENVMON_RUN_DIR "$PYTHON" -m devstack.localstack pids "$RUN_DIR"); }

if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
  honcho_pid="$(cat "$PID_FILE")"
  log "stopping honcho (pid $honcho_pid) and its processes"
  kill -TERM "$honcho_pid"
  deadline=$((SECONDS + STOP_SECONDS))
  while kill -0 "$honcho_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
fi
rm -f "$PID_FILE"

deadline=$((SECONDS + STOP_SECONDS))
while leftovers="$(stack_pids)"; [ -n "$leftovers" ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "killing processes that did not stop: $leftovers"
    # shellcheck disable=SC2086
    kill -KILL $leftovers 2>/dev/null || true
    sleep 1
    break
  fi
  sleep 0.5
done
if [ -n "$(stack_pids)" ]; then log "processes still running: $(stack_pids)"; exit 1; fi
log "stopped"
