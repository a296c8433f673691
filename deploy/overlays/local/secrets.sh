#!/usr/bin/env bash
# Writes the files the local overlay turns into Secrets (./secrets/, mode 0600, ignored by git): the loopback
# Ceph cluster's admin keyring and radosgw admin keys (from scripts/services.sh env, so IRI_STATE_DIR applies),
# and one key-encryption key per provider, made once and kept: a new key cannot open a store sealed with the
# old one (docs/operations.md, "Rotate the key-encryption key").
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
umask 077
mkdir -p "$here/secrets"
# shellcheck source=/dev/null
source <(bash "$repo/scripts/services.sh" env)
cp -- "$CEPH_ADMIN_KEYRING" "$here/secrets/ceph-admin-keyring"
printf '%s' "$RGW_ADMIN_ACCESS_KEY" >"$here/secrets/rgw-access-key"
printf '%s' "$RGW_ADMIN_SECRET_KEY" >"$here/secrets/rgw-secret-key"
for provider in machine volume bucket; do
  kek=$here/secrets/$provider-kek
  [[ -s $kek ]] || head -c 32 /dev/urandom >"$kek"
done
chmod 0600 "$here"/secrets/*
