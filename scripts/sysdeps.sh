#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the app needs, but only those that are missing.
#   scripts/sysdeps.sh run    what `make run` needs (Redis, fonts, Pango, poppler, Node)
#   scripts/sysdeps.sh test   the same, plus Chromium, the PostgreSQL server and OpenLDAP (slapd)
#   scripts/sysdeps.sh bench  the same as run, plus wrk (the HTTP load generator of `make bench`)
# Runs `apt-get update` at most once, and only when something must be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

profile=${1:-run}
PYTHON=${PYTHON:-python3}

# Redis; WeasyPrint's native libs (libharfbuzz-subset0 makes CJK font subsetting
# ~20x faster, see TECH-NOTES); CJK fonts (LXGW WenKai: the 楷体 of the red-header documents);
# pdftotext for PDF checks.
packages=(redis-server fonts-noto-cjk fonts-lxgw-wenkai libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0
          poppler-utils fontconfig)   # fc-match: which font file a PDF family is (documents/glyphs.py)
case $profile in
    run) ;;
    bench) packages+=(wrk) ;;                         # bench/throughput.py loads gunicorn with wrk
    test) packages+=(chromium chromium-driver    # Playwright drives /usr/bin/chromium
                     slapd ldap-utils                # a throwaway OpenLDAP for the LDAP sign-in tests
                     zbar-tools) ;;                  # zbarimg: the PDFs' QR codes must scan (test_verify.py)
    *) die "usage: $0 run|test|bench" ;;
esac

if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
    warn "not a Debian/Ubuntu system: install these yourself: ${packages[*]} nodejs npm"
    exit 0
fi

is_installed() {
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]
}

missing=()
for p in "${packages[@]}"; do
    is_installed "$p" || missing+=("$p")
done
# Node may come from NodeSource (its nodejs ships npm), so check commands, not packages.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
# Debian's own python3 needs python3-venv (ensurepip) before `python3 -m venv` works.
if [[ ! -x .venv/bin/python ]] && ! "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
    missing+=(python3-venv)
    pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    if apt-cache show "python$pyver-venv" >/dev/null 2>&1; then missing+=("python$pyver-venv"); fi
fi
if [[ $profile == test ]] && ! pg_bindir >/dev/null; then
    missing+=(postgresql)
fi

if ((${#missing[@]} == 0)); then
    exit 0
fi

sudo=()
if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
    sudo=(sudo)
fi
log "Installing system packages: ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
