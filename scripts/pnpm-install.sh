#!/usr/bin/env bash
# Installs the workspace dependencies offline-safe: better-sqlite3 is compiled by node-gyp, which would try to
# download Node headers unless pointed at the ones Debian/NodeSource installed under /usr/include/node.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export npm_config_nodedir=/usr
exec pnpm install --frozen-lockfile --reporter=append-only "$@"
