#!/usr/bin/env bash
# Installs the workspace dependencies with the pinned Node (scripts/lib/node.sh) and its pnpm. better-sqlite3 is
# compiled by node-gyp against that Node's headers (npm_config_nodedir), which it would otherwise download.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
use_pinned_node
exec pnpm install --frozen-lockfile --reporter=append-only "$@"
