#!/usr/bin/env bash
# Usage: wait-for-redis.sh CMD...  Wait (up to 30 s) until the Redis in $REDIS_URL
# answers PING, then exec CMD. Used in the Procfile so the worker and the ticker
# don't crash when they start a moment before Redis.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
url=${REDIS_URL:-redis://127.0.0.1:6379/0}
# redis://[user:pass@]host[:port][/db]
if [[ $url =~ ^rediss?://([^@/]*@)?([^:/]+)(:([0-9]+))? ]]; then
    host=${BASH_REMATCH[2]} port=${BASH_REMATCH[4]:-6379}
    wait_until 30 redis_ready "$host" "$port" || warn "no Redis answers on $host:$port yet"
fi
exec "$@"
