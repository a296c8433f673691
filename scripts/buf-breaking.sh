#!/usr/bin/env bash
# proto/ must stay wire- and JSON-compatible with the shared IRI descriptor set in BOTH directions, and keep
# every service and RPC (a renamed RPC fails here). Rules: proto/buf.yaml (breaking.use).
set -euo pipefail
cd "$(dirname "$0")/.."
buf=$PWD/node_modules/.bin/buf
shared=${IRI_DESCRIPTORS:-$PWD/../shared/iri/iri-v1alpha1.binpb}
proto=${1:-$PWD/proto}
ours=$(mktemp --suffix=.binpb)
trap 'rm -f "$ours"' EXIT
(cd "$proto" && "$buf" build . -o "$ours")
# Ours against theirs: nothing they have may be missing or different here.
(cd "$proto" && "$buf" breaking . --against "$shared")
# Theirs against ours: nothing we have may be missing or different there.
(cd "$proto" && "$buf" breaking "$shared" --against "$ours" --config buf.yaml)
echo "$proto matches $shared in both directions"
