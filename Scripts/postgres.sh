#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the tests (Debian's postgresql package):
#
#   eval "$(Scripts/postgres.sh start)"   # exports SECRETS_TEST_POSTGRESQL (a postgresql:// URL)
#   Scripts/postgres.sh stop              # stops it and removes its directory
#
# initdb refuses to run as root, so as root the cluster belongs to the `postgres` user the
# package creates (or `nobody`). It listens on 127.0.0.1 only, on a free port, and trusts local
# connections: it holds nothing but test data and lives as long as the run. It skips fsync
# (test data need not survive a power cut) unless SECRETS_TEST_POSTGRESQL_FSYNC=on, which the
# benchmarks set so that a commit costs what it costs on a real server.
set -euo pipefail
state=${SECRETS_TEST_POSTGRESQL_DIR:-${TMPDIR:-/tmp}/secrets-postgresql}

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "postgres.sh: no PostgreSQL server installed (Debian: apt-get install postgresql)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        local owner=postgres
        id "$owner" > /dev/null 2>&1 || owner=nobody
        runuser -u "$owner" -- "$@"
    else
        "$@"
    fi
}

case "${1:-}" in
start)
    if [ -f "$state/url" ] && as_owner "$bin/pg_ctl" -D "$state/data" status > /dev/null 2>&1; then
        echo "export SECRETS_TEST_POSTGRESQL='$(cat "$state/url")'"
        exit 0
    fi
    rm -rf "$state"
    mkdir -p "$state"
    [ "$(id -u)" = 0 ] && chown "$(id postgres > /dev/null 2>&1 && echo postgres || echo nobody)" "$state"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/initdb" -D "$state/data" -U secrets --auth=trust --encoding=UTF8 --locale=C.UTF-8 > "$state/initdb.log" 2>&1 \
        || { cat "$state/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$state/data" -l "$state/data/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$state/data' -c fsync=${SECRETS_TEST_POSTGRESQL_FSYNC:-off} -c max_connections=200" start > /dev/null \
        || { cat "$state/data/server.log" >&2; exit 1; }
    url="postgresql://secrets@127.0.0.1:$port/postgres"
    echo "$url" > "$state/url"
    echo "export SECRETS_TEST_POSTGRESQL='$url'"
    ;;
stop)
    [ -d "$state/data" ] && as_owner "$bin/pg_ctl" -D "$state/data" -m fast stop > /dev/null 2>&1 || true
    rm -rf "$state"
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 64
    ;;
esac
