#!/usr/bin/env bash
# Runs a command with the pinned Node and its pnpm first on PATH, for package.json scripts (`pnpm bench`,
# `pnpm test`) that would otherwise run on whichever Node started pnpm.
set -euo pipefail
# shellcheck source=lib/node.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/node.sh"
use_pinned_node
exec "$@"
