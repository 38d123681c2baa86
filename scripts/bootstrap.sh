# Sourced by scripts/serve and scripts/test: installs what is missing, idempotently.
#   bootstrap_system PACKAGE...   Debian packages (when root and missing)
#   bootstrap_venv LOCK           .venv from a Python whose sqlite3 can load SpatiaLite, with the
#                                 packages of a lock file (requirements*.lock: every package pinned
#                                 and hashed); installs again only when the lock file changes
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

bootstrap_system() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        say "Missing system packages: ${missing[*]}. Install them as root (apt-get install ${missing[*]}) and run again."
        exit 1
    fi
    say "Installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

python_with_extensions() {
    # SpatiaLite is an SQLite extension: the Python must be built with extension loading.
    for candidate in "${CATCHLOG_PYTHON:-}" /usr/bin/python3 python3; do
        [ -n "$candidate" ] || continue
        command -v "$candidate" >/dev/null 2>&1 || continue
        if "$candidate" -c 'import sqlite3, sys; sqlite3.connect(":memory:").enable_load_extension(True); sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

bootstrap_venv() {
    local lock="$1" stamp
    if [ ! -x "$VENV/bin/python" ]; then
        local python
        if ! python="$(python_with_extensions)"; then
            say "No Python 3.11+ whose sqlite3 can load extensions was found (SpatiaLite needs it)."
            say "Install Debian's python3 and python3-venv, or set CATCHLOG_PYTHON to such an interpreter."
            exit 1
        fi
        say "Creating .venv with $python"
        "$python" -m venv "$VENV"
        "$VENV/bin/python" -m pip install -q --upgrade pip
    fi
    stamp="$VENV/.installed-$(sha256sum "$ROOT/$lock" | cut -c1-16)"
    if [ ! -f "$stamp" ]; then
        say "Installing Python packages from $lock"
        "$VENV/bin/python" -m pip install -q --require-hashes -r "$ROOT/$lock"
        touch "$stamp"
    fi
}

SYSTEM_PACKAGES=(python3 python3-venv gdal-bin libsqlite3-mod-spatialite)
