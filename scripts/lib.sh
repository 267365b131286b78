# Shared helpers for scripts/*.sh. Source it; it does not run anything by itself.
# shellcheck shell=bash

if [[ -t 2 ]]; then _b=$'\033[1m' _o=$'\033[0m'; else _b='' _o=''; fi
log()  { printf '%s==> %s%s\n' "$_b" "$*" "$_o" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die()  { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# redis_ping HOST PORT: true if a Redis answers PING there (no redis-cli needed).
redis_ping() {
    timeout 2 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        printf "PING\r\n" >&3
        IFS= read -r line <&3 && [[ $line == "+PONG"* ]]
    ' _ "$1" "$2" 2>/dev/null
}

# redis_ready HOST PORT: a Redis there replies, and is not still loading its data
# (a reply like -NOAUTH counts: it is up, and the client will authenticate).
redis_ready() {
    timeout 2 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        printf "PING\r\n" >&3
        IFS= read -r line <&3 && [[ -n $line && $line != "-LOADING"* ]]
    ' _ "$1" "$2" 2>/dev/null
}

# port_open HOST PORT: true if anything accepts TCP connections there.
port_open() {
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# wait_until SECONDS CMD...: retry CMD every 0.1 s until it succeeds or time runs out.
wait_until() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

# ---------------------------------------------------------------------------
# Throwaway services for `make test` / `make bench`.
# Everything lives in one work dir /tmp/dangjian-svc.XXXXXX that holds the PID
# of the script that owns it, so a later run can clean up after a run that was
# killed with SIGKILL (its EXIT trap never ran).
# ---------------------------------------------------------------------------
SVC_PREFIX=/tmp/dangjian-svc.

svc_workdir() {
    SVC_DIR=$(mktemp -d "${SVC_PREFIX}XXXXXX")
    chmod 711 "$SVC_DIR"        # the postgres user must be able to traverse it
    echo "$$" >"$SVC_DIR/owner.pid"
}

# Stop services left behind by runs whose owner process is gone.
svc_reap_stale() {
    local d owner
    for d in "$SVC_PREFIX"*; do
        [[ -d $d && -f $d/owner.pid ]] || continue
        owner=$(<"$d/owner.pid")
        if [[ $owner =~ ^[0-9]+$ ]] && kill -0 "$owner" 2>/dev/null; then
            continue    # still in use by a running make test/bench
        fi
        warn "cleaning up services left by an earlier run in $d"
        SVC_DIR=$d svc_stop_all
    done
}

# Stop whatever was started in $SVC_DIR and delete it. Never fails.
svc_stop_all() (
    set +e
    local pid
    if [[ -f $SVC_DIR/redis.pid ]]; then
        pid=$(<"$SVC_DIR/redis.pid")
        # Only signal it if that PID still is a redis-server (PIDs get reused).
        if [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]]; then
            kill "$pid" 2>/dev/null
            wait_until 10 pid_gone "$pid" || kill -9 "$pid" 2>/dev/null
        fi
    fi
    if [[ -f $SVC_DIR/ldap/slapd.pid ]]; then
        pid=$(<"$SVC_DIR/ldap/slapd.pid")
        if [[ $pid =~ ^[0-9]+$ && $(cat "/proc/$pid/comm" 2>/dev/null) == slapd* ]]; then
            kill "$pid" 2>/dev/null
            wait_until 10 pid_gone "$pid" || kill -9 "$pid" 2>/dev/null
        fi
    fi
    if [[ -f $SVC_DIR/smtp.pid ]]; then
        pid=$(<"$SVC_DIR/smtp.pid")
        if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q smtp_capture.py; then
            kill "$pid" 2>/dev/null
            wait_until 10 pid_gone "$pid" || kill -9 "$pid" 2>/dev/null
        fi
    fi
    if [[ -f $SVC_DIR/pg/data/postmaster.pid ]]; then
        pg_as_owner "$SVC_DIR/pg" "$(pg_bindir)/pg_ctl" -D "$SVC_DIR/pg/data" -m immediate -w stop \
            >/dev/null 2>&1 || true
    fi
    rm -rf "$SVC_DIR" 2>/dev/null
    true
)

# start_redis PORT: throwaway Redis on 127.0.0.1:PORT, no persistence.
start_redis() {
    local port=$1 dir=$SVC_DIR/redis
    if port_open 127.0.0.1 "$port"; then
        die "port $port is already in use; stop what listens there or choose another port (see README)"
    fi
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
        --save '' --appendonly no --daemonize yes \
        --pidfile "$SVC_DIR/redis.pid" --logfile "$dir/redis.log" \
        || die "redis-server failed to start"
    if ! wait_until 10 redis_ping 127.0.0.1 "$port"; then
        cat "$dir/redis.log" >&2 || true
        die "Redis on port $port did not answer PING"
    fi
    log "Redis ready on 127.0.0.1:$port"
}

# Directory with initdb/pg_ctl: the newest /usr/lib/postgresql/N/bin, else $PATH.
pg_bindir() {
    local d
    d=$(find /usr/lib/postgresql -maxdepth 3 -path '*/bin/initdb' -printf '%h\n' 2>/dev/null \
        | sort -V | tail -n 1)
    if [[ -z $d ]] && command -v initdb >/dev/null; then
        d=$(dirname "$(command -v initdb)")
    fi
    [[ -n $d ]] || return 1
    echo "$d"
}

# PostgreSQL refuses to run as root. As root, run its commands as the `postgres`
# user (created by the Debian package), or as a `dangjian-pg` system user.
pg_os_user() {
    if [[ $(id -u) != 0 ]]; then id -un; return; fi
    if id -u postgres >/dev/null 2>&1; then echo postgres; return; fi
    if ! id -u dangjian-pg >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin dangjian-pg >/dev/null
    fi
    echo dangjian-pg
}

# pg_as_owner DIR CMD...: run CMD inside DIR as the owner of DIR.
pg_as_owner() {
    local dir=$1; shift
    local user; user=$(stat -c %U "$dir")
    if [[ $(id -u) == 0 && $user != root ]]; then
        (cd "$dir" && runuser -u "$user" -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

# start_postgres PORT DBNAME: throwaway cluster with trust auth, superuser `postgres`,
# on 127.0.0.1:PORT and a Unix socket in $SVC_DIR/pg/sock. Sets PG_URL.
start_postgres() {
    local port=$1 db=$2 bin dir=$SVC_DIR/pg user
    bin=$(pg_bindir) || die "PostgreSQL server binaries (initdb) not found; run: make sysdeps-test"
    if port_open 127.0.0.1 "$port"; then
        die "port $port is already in use; stop what listens there or choose another port (see README)"
    fi
    user=$(pg_os_user)
    mkdir -p "$dir/sock"
    chown -R "$user" "$dir"
    pg_as_owner "$dir" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust \
        -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    # Throwaway cluster: durability off for speed. Autovacuum off: the tests empty their tables with
    # DELETE between tests (tests/conftest.py), and without vacuum new rows are appended, so a test's
    # rows keep the order they were written in, as they did when the tables were truncated.
    cat >>"$dir/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/sock'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
autovacuum = off
EOF
    pg_as_owner "$dir" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
        >/dev/null || { cat "$dir/postgres.log" >&2; die "PostgreSQL did not start"; }
    "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE \"$db\"" || die "could not create database $db"
    PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/$db"
    log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') ready on 127.0.0.1:$port, database $db"
}

# start_slapd PORT: throwaway OpenLDAP (Debian slapd) on 127.0.0.1:PORT, an empty directory
# dc=dangjian,dc=test with ou=people, administered as cn=admin,dc=dangjian,dc=test (the tests add
# and remove their own people). Sets LDAP_URL, LDAP_BASE_DN, LDAP_ADMIN_DN, LDAP_ADMIN_PASSWORD.
start_slapd() {
    local port=$1 dir=$SVC_DIR/ldap slapd slapadd
    slapd=$(command -v slapd || echo /usr/sbin/slapd)
    slapadd=$(command -v slapadd || echo /usr/sbin/slapadd)
    [[ -x $slapd && -x $slapadd ]] || die "slapd not found; run: make sysdeps-test (Debian: slapd ldap-utils)"
    if port_open 127.0.0.1 "$port"; then
        die "port $port is already in use; stop what listens there or choose another port (see README)"
    fi
    LDAP_BASE_DN="dc=dangjian,dc=test"
    LDAP_ADMIN_DN="cn=admin,$LDAP_BASE_DN"
    LDAP_ADMIN_PASSWORD="admin-$RANDOM$RANDOM"
    mkdir -p "$dir/db"
    cat >"$dir/slapd.conf" <<EOF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile $dir/slapd.pid
argsfile $dir/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 104857600
suffix "$LDAP_BASE_DN"
rootdn "$LDAP_ADMIN_DN"
rootpw $LDAP_ADMIN_PASSWORD
directory $dir/db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
EOF
    cat >"$dir/base.ldif" <<EOF
dn: $LDAP_BASE_DN
objectClass: dcObject
objectClass: organization
dc: dangjian
o: dangjian test directory

dn: ou=people,$LDAP_BASE_DN
objectClass: organizationalUnit
ou: people
EOF
    "$slapadd" -f "$dir/slapd.conf" -l "$dir/base.ldif" >"$dir/slapadd.log" 2>&1 \
        || { cat "$dir/slapadd.log" >&2; die "slapadd failed"; }
    "$slapd" -f "$dir/slapd.conf" -h "ldap://127.0.0.1:$port/" >"$dir/slapd.log" 2>&1 \
        || { cat "$dir/slapd.log" >&2; die "slapd failed to start"; }
    if ! wait_until 10 port_open 127.0.0.1 "$port"; then
        die "slapd on port $port did not start listening"
    fi
    LDAP_URL="ldap://127.0.0.1:$port"
    log "OpenLDAP ready on 127.0.0.1:$port, base $LDAP_BASE_DN"
}

# start_smtp PORT: a real SMTP server (aiosmtpd, scripts/smtp_capture.py) on 127.0.0.1:PORT that
# keeps each message as an .eml file in $SVC_DIR/smtp/mail. Sets SMTP_CAPTURE_DIR.
start_smtp() {
    local port=$1 dir=$SVC_DIR/smtp
    if port_open 127.0.0.1 "$port"; then
        die "port $port is already in use; stop what listens there or choose another port (see README)"
    fi
    mkdir -p "$dir/mail"
    "${PYTHON:-.venv/bin/python}" scripts/smtp_capture.py --port "$port" --dir "$dir/mail" \
        >"$dir/smtp.log" 2>&1 &
    echo $! >"$SVC_DIR/smtp.pid"
    if ! wait_until 10 port_open 127.0.0.1 "$port"; then
        cat "$dir/smtp.log" >&2 || true
        die "the SMTP capture server on port $port did not start listening"
    fi
    SMTP_CAPTURE_DIR=$dir/mail
    log "SMTP capture server ready on 127.0.0.1:$port, messages in $SMTP_CAPTURE_DIR"
}
