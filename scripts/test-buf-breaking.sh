#!/usr/bin/env bash
# Proves the compatibility check can fail: renamed RPCs, services, fields and changed numbers must be caught.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
mutate() {
  local name=$1 file=$2 from=$3 to=$4
  rm -rf "$scratch/proto" && cp -r proto "$scratch/proto"
  sed -i "s/$from/$to/" "$scratch/proto/$file"
  if bash scripts/buf-breaking.sh "$scratch/proto" >/dev/null 2>&1; then
    echo "not caught: $name"
    status=1
  else
    echo "caught: $name"
  fi
}
mutate "renamed RPC" bucket/v1alpha1/api.proto "rpc ListBuckets(" "rpc ListBucketz("
mutate "renamed service" volume/v1alpha1/api.proto "service VolumeRuntime" "service VolumeRuntimes"
mutate "renamed field (JSON)" meta/v1alpha1/api.proto "int64 created_at = 5" "int64 creation_time = 5"
mutate "renumbered field" machine/v1alpha1/api.proto "string network_id = 2" "string network_id = 7"
mutate "added field" bucket/v1alpha1/api.proto "string class = 2;" "string class = 2; string extra = 9;"
mutate "changed response type" machine/v1alpha1/api.proto "returns (StatusResponse)" "returns (ExecResponse)"
exit $status
