#!/usr/bin/env bash
# Procfile process: the project-local Redis for `make run`, in the foreground.
# Data lives in instance/redis (an RDB snapshot; losing it is harmless: the
# database is the truth and the ticker re-enqueues missing work).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${REDIS_PORT:-6379}
mkdir -p instance/redis
exec redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/instance/redis" \
    --dbfilename dump.rdb --save '300 1' --appendonly no --daemonize no \
    --loglevel warning
