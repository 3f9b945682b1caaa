#!/usr/bin/env bash
# Installs (from Debian and npm) the tools the tests use (python3-pandas for command experiments, jupyter-nbconvert and
# python3-ipykernel for notebook experiments, chromium for the browser tests) and starts the real services they use, on loopback:
#   PostgreSQL 15 (throwaway cluster, trust auth)  -> ESTEIRA_TEST_POSTGRES
#   S3-API server @20minutes/s3rver                 -> ESTEIRA_TEST_S3
#   Debian's chromium (driven by Playwright)        -> ESTEIRA_TEST_CHROMIUM
# Source it (". .ci/services.sh") so that the exports reach the caller. Idempotent.
set -euo pipefail
ci_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
state="${ESTEIRA_SERVICES_DIR:-/tmp/esteira-services}"
mkdir -p "$state"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_apt=()
ldconfig -p 2>/dev/null | grep 'libgomp.so.1' > /dev/null || need_apt+=(libgomp1)   # not grep -q: SIGPIPE under pipefail
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
/usr/bin/python3 -c 'import pandas' 2>/dev/null || need_apt+=(python3-pandas)
jupyter nbconvert --version >/dev/null 2>&1 || need_apt+=(jupyter-nbconvert python3-ipykernel)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
command -v rsync >/dev/null 2>&1 || need_apt+=(rsync)   # gitlab-ci-local copies each job's files with it
command -v git >/dev/null 2>&1 || need_apt+=(git)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)   # the browser tests (Needs=browser) drive it; nothing is downloaded
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "services: apt-get install ${need_apt[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# PostgreSQL: a throwaway cluster on port 55432.
pgbin="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
pgdata="$state/pgdata"; pgsock="$state/pgsock"
if ! "$pgbin/pg_isready" -h 127.0.0.1 -p 55432 >/dev/null 2>&1; then
  rm -rf "$pgdata"; mkdir -p "$pgdata" "$pgsock"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$pgdata" "$pgsock"
    su postgres -c "$pgbin/initdb -D $pgdata -A trust -U postgres -E UTF8" >/dev/null
    su postgres -c "$pgbin/pg_ctl -D $pgdata -l $pgdata/server.log -o '-c listen_addresses=127.0.0.1 -p 55432 -k $pgsock' -w start" >/dev/null
  else
    "$pgbin/initdb" -D "$pgdata" -A trust -U postgres -E UTF8 >/dev/null
    "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -o "-c listen_addresses=127.0.0.1 -p 55432 -k $pgsock" -w start >/dev/null
  fi
fi
export ESTEIRA_TEST_POSTGRES="Host=127.0.0.1;Port=55432;Username=postgres;Database=postgres"

# S3: @20minutes/s3rver on port 4568 (decodes the AWS SDK v4 aws-chunked bodies).
s3dir="$state/s3"
if ! (echo > /dev/tcp/127.0.0.1/4568) 2>/dev/null; then
  if [ ! -d "$state/node/node_modules/@20minutes/s3rver" ]; then
    mkdir -p "$state/node"
    (cd "$state/node" && npm install --silent --no-audit --no-fund @20minutes/s3rver@5.0.0 >/dev/null 2>&1)
  fi
  mkdir -p "$s3dir"
  cat > "$state/node/start-s3rver.js" <<JS
const S3rver = require('@20minutes/s3rver');
new S3rver({ port: 4568, address: '127.0.0.1', directory: '$s3dir', silent: true, allowMismatchedSignatures: true }).run();
JS
  # Detach completely (new session, no inherited descriptors) so that no caller waits for the server.
  (
    cd "$state/node"
    for fd in $(ls /proc/$BASHPID/fd); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done
    exec setsid node start-s3rver.js > "$state/s3rver.log" 2>&1 < /dev/null
  ) &
  for _ in $(seq 1 50); do (echo > /dev/tcp/127.0.0.1/4568) 2>/dev/null && break; sleep 0.2; done
fi
export ESTEIRA_TEST_S3="http://127.0.0.1:4568"
export ESTEIRA_TEST_CHROMIUM=/usr/bin/chromium

# gitlab-ci-local: a real GitLab runner implementation for the generated pipeline (4.60.1 runs on Node 20; 4.75 crashes).
gcl="$state/node/node_modules/.bin/gitlab-ci-local"
if [ ! -x "$gcl" ]; then
  mkdir -p "$state/node"
  (cd "$state/node" && npm install --silent --no-audit --no-fund gitlab-ci-local@4.60.1 >/dev/null 2>&1)
fi
[ -x "$gcl" ] || { echo "services: gitlab-ci-local did not install" >&2; false; }
export ESTEIRA_TEST_GITLAB_CI_LOCAL="$gcl"
echo "services: PostgreSQL at 127.0.0.1:55432, S3 at $ESTEIRA_TEST_S3, gitlab-ci-local $("$gcl" --version 2>/dev/null)"
