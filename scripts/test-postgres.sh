# Sourced by scripts/test: provides TEST_DATABASE_URL for the PostgreSQL runs. Uses the one given
# (a server where the tests may create databases), or starts a throwaway cluster on a free port
# in a temp dir (installing Debian's postgresql when initdb is missing) and removes it on exit.

run_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
  done
  echo "$port"
}

start_test_postgres() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then
    echo "using PostgreSQL at $TEST_DATABASE_URL"
    return
  fi
  local bindir
  bindir=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)")
  if [ ! -x "$bindir/initdb" ]; then
    echo "installing postgresql from Debian"
    if [ "$(id -u)" -eq 0 ]; then apt-get install -y postgresql; else sudo apt-get install -y postgresql; fi
    bindir=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  fi
  PG_TEST_DIR=$(mktemp -d /tmp/rollcall-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$PG_TEST_DIR"; fi
  run_as_postgres "$bindir/initdb" -D "$PG_TEST_DIR/data" -A trust -U rollcall --no-sync >/dev/null
  # A free-looking port can be taken between the probe and the bind: try a few, and show the
  # server's own log when none of them works.
  local port started=""
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if run_as_postgres "$bindir/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w -t 60 \
      -o "-p $port -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400" start >/dev/null; then
      started=1
      break
    fi
    echo "PostgreSQL did not start on port $port; its log:" >&2
    tail -n 20 "$PG_TEST_DIR/log" >&2 || true
  done
  if [ -z "$started" ]; then
    rm -rf "$PG_TEST_DIR"
    echo "could not start a throwaway PostgreSQL (set TEST_DATABASE_URL to use a running one)" >&2
    return 1
  fi
  export PG_TEST_BINDIR="$bindir"
  export TEST_DATABASE_URL="postgres://rollcall@127.0.0.1:$port/postgres"
  trap stop_test_postgres EXIT
  echo "started a throwaway PostgreSQL at $TEST_DATABASE_URL"
}

stop_test_postgres() {
  if [ -n "${PG_TEST_DIR:-}" ]; then
    run_as_postgres "$PG_TEST_BINDIR/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_TEST_DIR"
  fi
}
