#!/usr/bin/env bash
# `make test`: start a throwaway Redis and PostgreSQL, run the whole pytest suite
# once on SQLite and once on PostgreSQL, stop the services (also on failure or
# Ctrl-C). Fails if either run fails or collects no tests.
#   Extra arguments go to pytest:   scripts/test.sh -x -k workflow
#   TEST_DBS="sqlite" (or "postgresql") runs only one of the two passes.
#   TEST_REDIS_PORT (6391), TEST_PG_PORT (54329), TEST_LDAP_PORT (3899) and TEST_SMTP_PORT (2526)
#   move the services.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

TEST_DBS=${TEST_DBS:-sqlite postgresql}
TEST_REDIS_PORT=${TEST_REDIS_PORT:-6391}
TEST_PG_PORT=${TEST_PG_PORT:-54329}
TEST_LDAP_PORT=${TEST_LDAP_PORT:-3899}
TEST_BROWSER_DB=${TEST_BROWSER_DB:-sqlite}
TEST_SMTP_PORT=${TEST_SMTP_PORT:-2526}
PYTHON=.venv/bin/python
[[ -x $PYTHON ]] || die "$PYTHON missing; run: make test"

svc_reap_stale
svc_workdir
trap 'svc_stop_all' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start_redis "$TEST_REDIS_PORT"
start_slapd "$TEST_LDAP_PORT"    # LDAP sign-in is tested against a real OpenLDAP
start_smtp "$TEST_SMTP_PORT"     # notification e-mails go to a real SMTP server (aiosmtpd)
if [[ " $TEST_DBS " == *" postgresql "* ]]; then
    start_postgres "$TEST_PG_PORT" dangjian_test
fi

# The tests get their own services only: never the developer's Redis or database.
export TEST_REDIS_URL="redis://127.0.0.1:$TEST_REDIS_PORT/0"
export REDIS_URL=$TEST_REDIS_URL
export TEST_LDAP_URL=$LDAP_URL TEST_LDAP_BASE_DN=$LDAP_BASE_DN
export TEST_LDAP_ADMIN_DN=$LDAP_ADMIN_DN TEST_LDAP_ADMIN_PASSWORD=$LDAP_ADMIN_PASSWORD
export TEST_SMTP_PORT TEST_SMTP_DIR=$SMTP_CAPTURE_DIR
unset DATABASE_URL TEST_DATABASE_URL DANGJIAN_DEMO AUTH_LDAP_URL AUTH_TRUSTED_HEADER SMTP_HOST
# Bytecode is written (__pycache__, git-ignored): pytest keeps its rewritten test modules there, and
# the second pass, every worker and every subprocess a test starts then skip compiling them again
# (collecting the suite: 17 s -> 7 s a process).
unset PYTHONDONTWRITEBYTECODE

failed=()
run_pytest() {    # run_pytest DB LABEL [pytest args...]
    local db=$1 label=$2 rc=0; shift 2
    if [[ $TEST_BROWSER_DB != both && $TEST_BROWSER_DB != "$db" ]]; then
        log "$label: browser tests and single-pass tests (marked once: no database, or a document's layout) run in the $TEST_BROWSER_DB pass only (deselected here)"
        set -- -m "not browser and not once" "$@"
    fi
    log "pytest on $label"
    # Two workers on two cores: each has its own PostgreSQL database (tests/conftest.py).
    "$PYTHON" -m pytest -n "${TEST_WORKERS:-2}" "$@" || rc=$?
    case $rc in
        0) log "pytest on $label: passed" ;;
        5) warn "pytest on $label: no tests were collected (exit 5), counted as a failure"
           failed+=("$label") ;;
        *) warn "pytest on $label: failed (exit $rc)"
           failed+=("$label") ;;
    esac
}

for db in $TEST_DBS; do
    case $db in
        sqlite) run_pytest sqlite SQLite "$@" ;;
        postgresql)
            export TEST_DATABASE_URL=$PG_URL
            log "TEST_DATABASE_URL=$PG_URL"
            run_pytest postgresql PostgreSQL "$@"
            unset TEST_DATABASE_URL ;;
        *) die "unknown database in TEST_DBS: $db" ;;
    esac
done

if ((${#failed[@]})); then
    die "tests failed on: ${failed[*]}"
fi
log "all test runs passed: $TEST_DBS"
