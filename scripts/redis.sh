#!/usr/bin/env bash
# Procfile process: the project-local Redis for `make run`.
# Data lives in instance/redis (an RDB snapshot; losing it is harmless: the
# database is the truth and the ticker re-enqueues missing work).
#
# On Ctrl-C honcho sends SIGTERM to every process at once. If Redis went away
# first, the RQ worker could not deregister and would print connection
# tracebacks. So redis-server runs in its own session (honcho's SIGTERM does not
# reach it), and we stop it ourselves once its clients have disconnected, at
# most 3 s later (honcho SIGKILLs whatever is left after 5 s). --pdeathsig
# stops it too if this script is killed outright, so it is never orphaned.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${REDIS_PORT:-6379}
mkdir -p instance/redis

setpriv --pdeathsig TERM -- setsid redis-server \
    --port "$port" --bind 127.0.0.1 --dir "$PWD/instance/redis" \
    --dbfilename dump.rdb --save '300 1' --appendonly no --daemonize no \
    --loglevel warning &
redis_pid=$!

stop() {
    local n
    for _ in {1..30}; do
        n=$(redis-cli -p "$port" info clients 2>/dev/null | tr -d '\r' \
            | sed -n 's/^connected_clients://p')
        [[ ${n:-0} -le 1 ]] && break    # only our own redis-cli is left
        sleep 0.1
    done
    kill -TERM "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" || true
    exit 0
}
trap stop TERM INT HUP

wait "$redis_pid"    # returns early when a signal arrives, then `stop` runs
