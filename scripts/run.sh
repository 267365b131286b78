#!/usr/bin/env bash
# Last step of `make run` (setup, migrations and demo data are done by then):
# print the URL and the demo accounts, then start Redis, the RQ worker, the
# ticker and the web server together under honcho. Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

export PATH="$PWD/.venv/bin:$PATH" VIRTUAL_ENV="$PWD/.venv"
export REDIS_PORT=${REDIS_PORT:-6379}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT/0}
export PYTHONUNBUFFERED=1    # honcho reads through a pipe: show log lines at once

processes=()    # empty = every process in the Procfile
if redis_ping 127.0.0.1 "$REDIS_PORT"; then
    log "A Redis already answers on 127.0.0.1:$REDIS_PORT; using it instead of starting one"
    processes=(worker ticker web)
fi

bold=$_b off=$_o
echo
echo "${bold}dangjian is starting: http://127.0.0.1:5000${off}"
echo "${bold}Demo accounts:${off}"
flask --app wsgi demo accounts
if ((${#processes[@]})); then
    echo "(Ctrl-C stops the web server, the worker and the ticker.)"
else
    echo "(Ctrl-C stops the web server, the worker, the ticker and Redis.)"
fi
echo

exec honcho start "${processes[@]}"
