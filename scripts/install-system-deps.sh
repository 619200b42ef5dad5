#!/usr/bin/env bash
# Installs what envmon needs from Debian 12 and builds TimescaleDB from Debian's
# own source package. Idempotent: quick when everything is already in place.
set -euo pipefail

TIMESCALEDB_SERIES="2.19"
PG_CONFIG="${PG_CONFIG:-$(command -v pg_config || echo /usr/bin/pg_config)}"
APT_PACKAGES=(
  postgresql postgresql-server-dev-15 cmake dpkg-dev libssl-dev libkrb5-dev
  mosquitto mosquitto-clients prometheus prometheus-alertmanager
  chromium fonts-noto-cjk fonts-wqy-zenhei poppler-utils docker-compose
)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

log() { printf '[install-system-deps] %s\n' "$*"; }

missing_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  echo "${missing[@]:-}"
}

apt_updated=0
apt_update_once() {
  if [ "$apt_updated" -eq 0 ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
}

missing="$(missing_packages)"
if [ -n "$missing" ]; then
  log "installing Debian packages: $missing"
  apt_update_once
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

timescaledb_installed() {
  local libdir sharedir
  libdir="$("$PG_CONFIG" --pkglibdir)"
  sharedir="$("$PG_CONFIG" --sharedir)"
  [ -f "$libdir/timescaledb.so" ] && [ -f "$sharedir/extension/timescaledb.control" ]
}

if timescaledb_installed; then
  log "TimescaleDB already installed for $("$PG_CONFIG" --version)"
else
  log "building TimescaleDB ${TIMESCALEDB_SERIES}.x from Debian's trixie source package"
  # A private sources list keeps trixie's deb-src out of the system's apt configuration.
  apt_dir="$(mktemp -d)"
  trap 'rm -rf "$apt_dir"' EXIT
  mkdir -p "$apt_dir/lists/partial"
  cat > "$apt_dir/trixie-src.list" <<LIST
deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main
LIST
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/trixie-src.list" -o "Dir::Etc::SourceParts=-"
            -o "Dir::State::Lists=$apt_dir/lists" -o "APT::Get::List-Cleanup=0")
  $SUDO apt-get "${apt_opts[@]}" update -qq
  build_dir="$apt_dir/build"
  mkdir -p "$build_dir"
  (cd "$build_dir" && apt-get "${apt_opts[@]}" source --download-only -qq "timescaledb" \
     && dpkg-source -x ./timescaledb_*.dsc src >/dev/null)
  src="$build_dir/src"
  version="$(sed -n 's/^version = //p' "$src/version.config" | head -1)"
  case "$version" in
    "$TIMESCALEDB_SERIES".*) ;;
    *) log "warning: expected TimescaleDB ${TIMESCALEDB_SERIES}.x, the source package holds $version" ;;
  esac
  cmake -S "$src" -B "$src/build" -DPG_CONFIG="$PG_CONFIG" -DAPACHE_ONLY=ON \
    -DREGRESS_CHECKS=OFF -DTAP_CHECKS=OFF -DWARNINGS_AS_ERRORS=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$src/build" --parallel "$(nproc)" >/dev/null
  $SUDO cmake --install "$src/build" >/dev/null
  timescaledb_installed && log "installed TimescaleDB $version"
fi

if ! command -v uv >/dev/null 2>&1; then
  log "installing uv"
  python3 -m pip install --quiet --root-user-action=ignore "uv>=0.13,<0.14"
fi
log "system dependencies are in place"
