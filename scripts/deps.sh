#!/usr/bin/env bash
# Installs the Debian 12 packages Accueil needs to build, run and test, if any is missing.
# Sourced by scripts/run and scripts/test. Needs root (or sudo) only when something is missing.
set -euo pipefail

# What the compiler needs (headers and pkg-config files of the C libraries we link, and the linker).
ACCUEIL_BUILD_APT_PACKAGES=(
    binutils           # ld.gold, which Swift links with; readelf: scripts/package lists the libraries the program needs
    pkg-config
    libsqlite3-dev     # GRDB's SQLite (the kiosk store)
    libqrencode-dev    # QR code matrices
    libcairo2-dev      # badge drawing, PDF and PNG
    libpango1.0-dev    # text layout and shaping (Arabic, CJK…)
    librsvg2-dev       # SVG logos on badges
    libzbar-dev        # reading QR codes from images (badge verify --image)
    zlib1g-dev         # fast PNG previews
    libcups2-dev       # printing through CUPS
    libcurl4-openssl-dev  # Foundation's URLSession, linked in statically (--static-swift-stdlib) for the package
    libxml2-dev        # Foundation's XML parser (reading .xlsx rosters), linked in statically for the package
)

# What running it needs besides (and what scripts/package and the tests use).
ACCUEIL_APT_PACKAGES=(
    dpkg-dev           # dpkg-deb and dpkg-architecture: scripts/package builds the Debian package
    cups-daemon        # the print server (cupsd)
    cups-client        # lpadmin, lpstat, cupsenable… (printer setup, and the printing tests)
    printer-driver-cups-pdf  # a PDF "printer" for trying it out, and for the tests
    procps
    python3            # tests: restarts cupsd with a clean signal mask
    fonts-noto-core    # fonts for Latin, Greek, Cyrillic, Armenian, Arabic, Hebrew, Thai, Devanagari…
    fonts-noto-cjk     # fonts for Chinese, Japanese, Korean
    tmux               # tests: the door's terminal screen in a real terminal
    poppler-utils      # tests: pdftoppm rasterises printed badges, pdfinfo counts pages
    zbar-tools         # tests: zbarimg decodes the QR codes of printed badges
    postgresql         # the central store for larger events (--store postgres://…); its tests run on it
    chromium           # the kiosk's door screen runs in it (full screen); tests drive it headless
    chromium-driver    # tests: chromedriver (WebDriver) drives the door screen
    cage               # the kiosk's screen: a Wayland kiosk compositor running Chromium (accueil-kiosk-screen.service)
    systemd            # systemd-analyze: tests verify the units and rate their sandboxing
    openssl            # tests: a self-signed event CA and server certificate for HTTPS
    ca-certificates
)

# Only the test command needs these (scripts/test calls `accueil_install_deps test`).
ACCUEIL_TEST_APT_PACKAGES=(
    python3-openpyxl   # tests: Excel workbooks as openpyxl writes them (pretix's exporters use it)
    python3-venv       # tests: pretix itself, from PyPI, in a virtual environment (accueil_install_pretix)
    libreoffice-calc-nogui  # tests: workbooks as LibreOffice writes them (.xlsx, .ods, .xls, PDF)
    postfix            # tests: a real mail server; invitations go through its sendmail(8) (accueil_start_test_postfix)
    nginx              # tests: the load balancer in front of several servers (systemd/nginx-accueil.conf)
    strace             # tests: each check-in's commit is synced before its answer (DurabilityTests)
)

# accueil_install_deps [build|test]: what building needs only (build), what building and running
# need (no argument), or that and what the tests need (test).
accueil_install_deps() {
    local missing=()
    local wanted=("${ACCUEIL_BUILD_APT_PACKAGES[@]}")
    [ "${1:-}" = build ] || wanted+=("${ACCUEIL_APT_PACKAGES[@]}")
    [ "${1:-}" = test ] && wanted+=("${ACCUEIL_TEST_APT_PACKAGES[@]}")
    for package in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        echo "Installing: ${missing[*]}" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        # Postfix asks how it should deliver: on a test machine, locally only.
        printf '%s\n' "postfix postfix/main_mailer_type select Local only" \
            "postfix postfix/mailname string accueil.invalid" | $sudo debconf-set-selections
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
    fi
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then
            export PATH="$PATH:/opt/swift/usr/bin"
        else
            echo "Swift 6 is needed (https://www.swift.org/install/linux/); not found on PATH or in /opt/swift." >&2
            exit 2
        fi
    fi
}

# Starts cupsd if it is not running (a fresh machine has no init system running it for us).
accueil_start_cupsd() {
    if lpstat -r 2>/dev/null | grep -q "scheduler is running"; then return 0; fi
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo /usr/sbin/cupsd
    for _ in $(seq 1 50); do
        lpstat -r 2>/dev/null | grep -q "scheduler is running" && return 0
        sleep 0.1
    done
    echo "cupsd did not start" >&2
    return 1
}

# Starts a private cupsd for the tests, apart from the machine's (which is left alone): its own
# ServerRoot, spool and state in a folder (default: a new one under /tmp), listening only on a
# socket in it, with a "capture" backend (Tests/tools/capture-backend) that writes each job's
# document, as a printer would receive it, into a folder, and a PPD for a PDF printer (the one
# cups-pdf ships, its filter chain ending in PDF). Exports CUPS_SERVER (the socket: every `accueil`
# and CUPS tool started from this shell uses it) and ACCUEIL_TEST_CUPS (the folder: the tests make
# their queues, stop and restart it through it). Ready when it answers an IPP request (`lpstat -r`).
accueil_start_test_cupsd() {
    local root=${1:-$(mktemp -d /tmp/accueil-test-cups-XXXXXX)}
    local here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    mkdir -p "$root"/{etc,bin/backend,bin/filter,bin/daemon,spool,cache,state,tmp,log}
    chmod 0755 "$root"
    chmod 1777 "$root/tmp"   # filters run as lp and write their temporary files there
    # What cupsd runs comes from its ServerBin: the system's filters and helpers, and our backend.
    local file
    for file in /usr/lib/cups/filter/* /usr/lib/cups/daemon/*; do
        ln -sf "$file" "$root/bin/$(basename "$(dirname "$file")")/"
    done
    ln -sf /usr/lib/cups/backend/socket "$root/bin/backend/socket"   # raw queues, as for a Zebra
    install -m 0700 "$here/Tests/tools/capture-backend" "$root/bin/backend/capture"   # runs as root
    sed -e '/^\*PCFileName/a *cupsFilter2: "application/vnd.cups-pdf application/pdf 0 -"' \
        -e 's/^\*ModelName:.*/*ModelName: "Accueil capture printer"/' \
        -e 's/^\*NickName:.*/*NickName: "Accueil capture printer (PDF)"/' \
        /usr/share/ppd/cups-pdf/CUPS-PDF_noopt.ppd > "$root/capture.ppd"
    cat > "$root/etc/cups-files.conf" <<CONF
ServerRoot $root/etc
ServerBin $root/bin
DataDir /usr/share/cups
RequestRoot $root/spool
CacheDir $root/cache
StateDir $root/state
TempDir $root/tmp
AccessLog $root/log/access_log
ErrorLog $root/log/error_log
PageLog $root/log/page_log
CONF
    cat > "$root/etc/cupsd.conf" <<CONF
Listen $root/cups.sock
Browsing Off
LogLevel warn
WebInterface No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
CONF
    export ACCUEIL_TEST_CUPS="$root" CUPS_SERVER="$root/cups.sock"
    # Without -f, cupsd returns once it has started (or failed to).
    /usr/sbin/cupsd -c "$root/etc/cupsd.conf" -s "$root/etc/cups-files.conf"
    for _ in $(seq 1 100); do
        lpstat -h "$CUPS_SERVER" -r 2>/dev/null | grep -q "scheduler is running" && return 0
        sleep 0.1
    done
    echo "the tests' cupsd did not start (see $root/log/error_log)" >&2
    return 1
}

# Stops the private cupsd of accueil_start_test_cupsd and removes its folder.
accueil_stop_test_cupsd() {
    local root=${1:-${ACCUEIL_TEST_CUPS:-}}
    [ -n "$root" ] && [ -f "$root/etc/cupsd.conf" ] || return 0
    # Started without -f, cupsd runs again as `cupsd -C FILE`: matched from the start of the line.
    local match="^/usr/sbin/cupsd -[cC] $root/etc/cupsd\\.conf"
    pkill -TERM -f -- "$match" 2>/dev/null || true
    for _ in $(seq 1 50); do
        pgrep -f -- "$match" > /dev/null || break
        sleep 0.1
    done
    pkill -KILL -f -- "$match" 2>/dev/null || true
    rm -rf "$root"
}

# Starts the machine's PostgreSQL (Debian's cluster; made if missing), makes an `accueil` role that
# may create databases, and exports ACCUEIL_TEST_POSTGRES for the server tests that run on it.
accueil_start_postgres() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
        $sudo pg_createcluster "$(ls /usr/lib/postgresql | sort -V | tail -1)" main >/dev/null
    fi
    local version cluster port status
    read -r version cluster port status _ <<<"$(pg_lsclusters -h | head -1)"
    if [ "$status" != "online" ]; then $sudo pg_ctlcluster "$version" "$cluster" start; fi
    for _ in $(seq 1 100); do
        pg_isready -q -h 127.0.0.1 -p "$port" && break
        sleep 0.2
    done
    $sudo runuser -u postgres -- psql -q -p "$port" -v ON_ERROR_STOP=1 -c \
        "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'accueil') THEN CREATE ROLE accueil LOGIN CREATEDB PASSWORD 'accueil'; END IF; END \$\$;" >/dev/null
    export ACCUEIL_TEST_POSTGRES="postgres://accueil:accueil@127.0.0.1:${port}/postgres"
}

# Drops the databases the tests made on the machine's PostgreSQL (accueil_t_*, one per server
# test; accueil_e2e_*, one per end-to-end test), closing what still uses them: scripts/test runs
# it at the end, and at the start for what a killed run left.
accueil_drop_test_databases() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    local name
    for name in $($sudo runuser -u postgres -- psql -qtA -c \
        "SELECT datname FROM pg_database WHERE datname LIKE 'accueil\_t\_%' OR datname LIKE 'accueil\_e2e\_%'" 2>/dev/null); do
        $sudo runuser -u postgres -- psql -q -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
}

# Starts a Postfix instance of the tests' own for the invitation tests, apart from the machine's
# (which is neither configured nor started): its main.cf, queue and data in a folder (default: a new
# one under /tmp), no network service (`master_service_disable = inet`), every message, whatever its
# recipient, delivered by virtual(8) to one Maildir in that folder, with the recipient it was sent
# to in its X-Original-To header; nothing leaves the machine, nothing is written under /etc. Exports
# MAIL_CONFIG (the sendmail(8) the tests run, as root, uses this instance) and ACCUEIL_TEST_MAILDIR.
accueil_start_test_postfix() {
    local root=${1:-$(mktemp -d /tmp/accueil-test-postfix-XXXXXX)}
    mkdir -p "$root/etc" "$root/spool" "$root/data" "$root/mail"
    chmod 0755 "$root"
    cp /etc/postfix/master.cf "$root/etc/master.cf"
    cat > "$root/etc/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $root/spool
data_directory = $root/data
maillog_file = $root/maillog
maillog_file_prefixes = $root
mail_owner = postfix
setgid_group = postdrop
myhostname = accueil.invalid
myorigin = accueil.invalid
mydestination =
inet_interfaces = loopback-only
master_service_disable = inet
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = regexp:$root/etc/domains
virtual_mailbox_maps = regexp:$root/etc/mailbox
virtual_mailbox_base = $root/mail
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
virtual_mailbox_limit = 0
default_transport = error:this test machine sends no mail out
relayhost =
message_size_limit = 20480000
CONF
    echo '/.*/ OK' > "$root/etc/domains"
    echo '/.*/ Maildir/' > "$root/etc/mailbox"
    chown postfix "$root/data"
    chown 65534:65534 "$root/mail"
    export MAIL_CONFIG="$root/etc" ACCUEIL_TEST_MAILDIR="$root/mail/Maildir" ACCUEIL_TEST_POSTFIX="$root"
    postfix -c "$root/etc" check >/dev/null 2>&1   # makes the queue's folders, with their owners
    postfix -c "$root/etc" start >/dev/null 2>&1
    postfix -c "$root/etc" status >/dev/null 2>&1 || { echo "the tests' postfix did not start ($root/maillog)" >&2; return 1; }
}

# Stops the Postfix instance of accueil_start_test_postfix and removes its folder.
accueil_stop_test_postfix() {
    local root=${1:-${ACCUEIL_TEST_POSTFIX:-}}
    [ -n "$root" ] && [ -f "$root/etc/main.cf" ] || return 0
    postfix -c "$root/etc" stop >/dev/null 2>&1 || true
    rm -rf "$root"
}

# The SMTP relay tests send through a real SMTP server with STARTTLS and AUTH: aiosmtpd from PyPI
# (Tests/tools/smtp_server.py), in a virtual environment of its own, made once. Exports
# ACCUEIL_SMTPD_PYTHON.
ACCUEIL_AIOSMTPD_VERSION=1.4.6
accueil_install_smtpd() {
    local venv=/var/cache/accueil-tests/aiosmtpd-$ACCUEIL_AIOSMTPD_VERSION
    if ! "$venv/bin/python" -c "import aiosmtpd" 2>/dev/null; then
        echo "Installing aiosmtpd $ACCUEIL_AIOSMTPD_VERSION from PyPI into $venv (for the SMTP relay tests)" >&2
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")"
        /usr/bin/python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check "aiosmtpd==$ACCUEIL_AIOSMTPD_VERSION" >&2
    fi
    export ACCUEIL_SMTPD_PYTHON="$venv/bin/python"
}

# The tests import real pretix exports, made by pretix itself (Tests/tools/pretix_export.py): pretix
# from PyPI in a virtual environment of its own, made once. Exports ACCUEIL_PRETIX_PYTHON.
ACCUEIL_PRETIX_VERSION=2026.8.0
accueil_install_pretix() {
    local venv=${ACCUEIL_PRETIX_VENV:-/var/cache/accueil-tests/pretix-$ACCUEIL_PRETIX_VERSION}
    if ! "$venv/bin/python" -c "import pretix" 2>/dev/null; then
        echo "Installing pretix $ACCUEIL_PRETIX_VERSION from PyPI into $venv (for the import tests)" >&2
        rm -rf "$venv"
        mkdir -p "$(dirname "$venv")"
        /usr/bin/python3 -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check "pretix==$ACCUEIL_PRETIX_VERSION" >&2
    fi
    export ACCUEIL_PRETIX_PYTHON="$venv/bin/python"
}

# The accessibility checks run axe-core (Deque's rules, as browsers' audit tools use them) in headless
# Chromium: its script from PyPI's axe-core-python wheel, fetched once with the pretix environment's
# pip (call accueil_install_pretix first). Exports ACCUEIL_AXE_JS.
ACCUEIL_AXE_WHEEL=axe-core-python==0.1.0   # axe-core 4.4.3
accueil_install_axe() {
    local dir=/var/cache/accueil-tests/axe-core-python-0.1.0
    if [ ! -s "$dir/axe.min.js" ]; then
        echo "Fetching axe-core ($ACCUEIL_AXE_WHEEL) from PyPI into $dir (for the accessibility checks)" >&2
        rm -rf "$dir" && mkdir -p "$dir"
        "$ACCUEIL_PRETIX_PYTHON" -m pip download -q --disable-pip-version-check --no-deps "$ACCUEIL_AXE_WHEEL" -d "$dir" >&2
        "$ACCUEIL_PRETIX_PYTHON" - "$dir" <<'PY'
import pathlib, sys, zipfile
folder = pathlib.Path(sys.argv[1])
wheel = next(folder.glob("*.whl"))
(folder / "axe.min.js").write_bytes(zipfile.ZipFile(wheel).read("axe_core_python/axe.min.js"))
PY
    fi
    export ACCUEIL_AXE_JS="$dir/axe.min.js"
}
