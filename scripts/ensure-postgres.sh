#!/usr/bin/env bash
# The end-to-end tests start their own PostgreSQL server; they need its binaries (initdb, pg_ctl).
# Install Debian's PostgreSQL 15 server when they are missing. Nothing is started here.
set -euo pipefail
for dir in "${PG_BINDIR:-}" /usr/lib/postgresql/*/bin; do
  if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
    exit 0
  fi
done
if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
  exit 0
fi
echo "PostgreSQL server binaries not found; installing Debian's postgresql-15" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql-15 >/dev/null
