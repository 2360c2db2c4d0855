# Shared by scripts/run and scripts/test: install only what is missing, so a second run is quick.
# Every function is safe to call again.

set -euo pipefail

HERALD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_LEPTOS_VERSION="0.3.10"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\n==> %s\n' "$*"; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    echo "installing system packages needs root: run as root or install sudo ($*)" >&2
    exit 1
  fi
}

# ensure_debian_packages NAME...: installs the Debian packages that are not installed yet.
ensure_debian_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "Installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  fi
}

# A C compiler (SQLite is compiled from source), rustfmt and clippy, the wasm target,
# cargo-leptos and the wasm-bindgen CLI that matches Cargo.lock.
ensure_rust_tools() {
  command -v cargo >/dev/null || { echo "cargo is missing: install Rust (rustup) first" >&2; exit 1; }
  command -v cc >/dev/null || ensure_debian_packages build-essential
  local components
  components="$(rustup component list --installed)"
  if ! grep -q '^clippy' <<<"$components" || ! grep -q '^rustfmt' <<<"$components"; then
    say "Adding the clippy and rustfmt components"
    rustup component add clippy rustfmt
  fi
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "Adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(cargo leptos --version 2>/dev/null || true)" != "cargo-leptos $CARGO_LEPTOS_VERSION" ]; then
    say "Installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
  fi
  local bindgen_version
  bindgen_version="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$HERALD_ROOT/Cargo.lock")"
  if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $bindgen_version" ]; then
    say "Installing wasm-bindgen-cli $bindgen_version (matches Cargo.lock)"
    # Not --locked: the CLI's own lockfile names a crate the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$bindgen_version"
  fi
}

# ensure_npm_packages DIR: the npm packages of DIR (a folder of the repository), reinstalled only
# when its package-lock.json changed.
ensure_npm_packages() {
  command -v npm >/dev/null || ensure_debian_packages nodejs npm
  local dir="$HERALD_ROOT/$1" stamp
  stamp="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$dir/node_modules/.herald-lock-sha256" 2>/dev/null || true)" != "$stamp" ]; then
    say "Installing the npm packages of $1/"
    (cd "$dir" && npm ci --no-audit --no-fund)
    echo "$stamp" > "$dir/node_modules/.herald-lock-sha256"
  fi
}

# Builds the release binary, target/release/herald, with the site inside: the WASM optimised by
# wasm-opt (npm binaryen, so cargo-leptos downloads nothing), then the server with
# `--features embed-site`, which reads the site built just before.
build_release() {
  ensure_npm_packages tools
  say "Building the release site (WASM optimised by wasm-opt)"
  PATH="$HERALD_ROOT/tools/node_modules/.bin:$PATH" cargo leptos build --release --frontend-only
  say "Building the release binary with the site inside"
  cargo build --locked --release -p server --bin herald --features embed-site
}

# Prints a random high port on 127.0.0.1 that nothing answers on.
free_port() {
  local port
  while port=$((20000 + RANDOM % 20000)); (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do :; done
  echo "$port"
}

# Starts a throw-away PostgreSQL cluster on 127.0.0.1 and exports HERALD_TEST_POSTGRES_URL.
# Tests run it without fsync; `start_test_postgres durable` keeps PostgreSQL's default
# durability (the benchmark). stop_test_postgres removes it (set it as an EXIT trap first).
start_test_postgres() {
  local bin port durability="-c fsync=off"
  [ "${1:-}" = durable ] && durability=""
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  PG_CTL="$bin/pg_ctl"
  PG_DIR="$(mktemp -d /tmp/herald-test-pg.XXXXXX)"
  port="$(free_port)"
  PG_AS=()
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root: use the account the Debian package created.
    chown postgres:postgres "$PG_DIR"
    PG_AS=(runuser -u postgres --)
  fi
  say "Starting a throw-away PostgreSQL on 127.0.0.1:$port"
  "${PG_AS[@]}" "$bin/initdb" -D "$PG_DIR/data" -A trust -U postgres >"$PG_DIR/initdb.log"
  "${PG_AS[@]}" "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 $durability -c max_connections=300" \
    start >/dev/null
  export HERALD_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port"
}

stop_test_postgres() {
  if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ]; then
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
      "${PG_AS[@]}" "$PG_CTL" -D "$PG_DIR/data" -m fast -w stop >/dev/null || true
    fi
    rm -rf "$PG_DIR"
  fi
}
