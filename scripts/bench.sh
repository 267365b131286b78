#!/usr/bin/env bash
# `make bench`: run `python -m bench` against a throwaway Redis on port 6392
# (BENCH_REDIS_PORT), stopped afterwards. Extra arguments go to the bench.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

BENCH_REDIS_PORT=${BENCH_REDIS_PORT:-6392}
PYTHON=.venv/bin/python
[[ -x $PYTHON ]] || die "$PYTHON missing; run: make bench"

svc_reap_stale
svc_workdir
trap 'svc_stop_all' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_redis "$BENCH_REDIS_PORT"
export BENCH_REDIS_URL="redis://127.0.0.1:$BENCH_REDIS_PORT/0"
export REDIS_URL=$BENCH_REDIS_URL
export PATH="$PWD/.venv/bin:$PATH" VIRTUAL_ENV="$PWD/.venv"

"$PYTHON" -m bench "$@"
