#!/usr/bin/env bash
# Runs inside an image's build stage: removes from a `pnpm deploy --prod` directory what running it never reads,
# i.e. TypeScript sources and declarations, source maps (but those of the app's bundle, dist/main.js and its
# chunks, which map a stack trace back to the sources), and better-sqlite3's compiler inputs and intermediate
# objects (only its built addon, build/Release/better_sqlite3.node, is loaded).
#   prune-deploy.sh DIR
set -euo pipefail
dir=$1
find "$dir" \( -name '*.ts' -o -name 'tsconfig*.json' -o -name '*.tsbuildinfo' \) -type f -delete
find "$dir" -name '*.map' ! -path "$dir/dist/main.js.map" ! -path "$dir/dist/chunks/*" -type f -delete
# The src/ of the app and its workspace packages (test data, folders the line above emptied): dist/ runs.
rm -rf "$dir/src"
find "$dir/node_modules/.pnpm" -mindepth 5 -maxdepth 5 -type d -path '*/node_modules/@iri/*/src' -exec rm -rf {} +
for addon in "$dir"/node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3; do
	[[ -f $addon/build/Release/better_sqlite3.node ]] || {
		echo "prune-deploy: better-sqlite3 was not built in $addon" >&2
		exit 1
	}
	find "$addon/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
	find "$addon/build/Release" -mindepth 1 ! -name better_sqlite3.node -exec rm -rf {} +
	rm -rf "$addon/deps" "$addon/src"
done
