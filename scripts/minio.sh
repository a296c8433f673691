#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A single-drive MinIO server on loopback for the bucket backend's tests: its own data dir, certs dir, pid
# file, log and random root credentials (in a 0600 file) under STATE_DIR. It stops only the process its pid
# file names. MinIO is AGPL-licensed: it is a test peer only, built here from the Go module proxy at a pinned
# version and never bundled with anything we ship.
#
#   scripts/minio.sh start|stop|status|env [STATE_DIR]      (STATE_DIR defaults to <repo>/.state/minio)
#   scripts/minio.sh build                                  (only builds the binary when it is missing)
#
# Environment: MINIO_PORT (9000; the console takes the next port), MINIO_START_TIMEOUT (seconds, 60),
# MINIO_BIN (default: $(go env GOPATH)/bin/minio, built with `go install` when missing).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
# shellcheck disable=SC2034 # read by lib/common.sh
LOG_TAG=minio
# shellcheck source=lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

readonly MINIO_MODULE=github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c

usage() {
	printf 'usage: %s start|stop|status|env [STATE_DIR] | build\n' "${0##*/}" >&2
	exit 2
}

(($# >= 1 && $# <= 2)) || usage
readonly COMMAND=$1
STATE=$(realpath -m -- "${2:-$REPO_ROOT/.state/minio}")
readonly STATE
[[ $STATE != *[[:space:]]* ]] || die "STATE_DIR must not contain whitespace: $STATE"
readonly PID_FILE=$STATE/minio.pid
readonly LOG_FILE=$STATE/minio.log
readonly PARAMS=$STATE/params
readonly CREDENTIALS=$STATE/root.json
readonly DATA_DIR=$STATE/data
readonly TIMEOUT=${MINIO_START_TIMEOUT:-60}

minio_binary() {
	if [[ -n ${MINIO_BIN:-} ]]; then
		echo "$MINIO_BIN"
	elif command -v go >/dev/null; then
		echo "$(go env GOPATH)/bin/minio"
	else
		echo /root/go/bin/minio
	fi
}
BINARY=$(minio_binary)
readonly BINARY

# Built once (4–7 minutes on 2 cores) and reused while the binary exists.
ensure_binary() {
	[[ -x $BINARY ]] && return 0
	command -v go >/dev/null || die "$BINARY is missing and Go is not installed to build it"
	log "building MinIO ($MINIO_MODULE) as $BINARY; this takes several minutes"
	local gobin
	gobin=$(mktemp -d)
	GOBIN=$gobin go install "$MINIO_MODULE" || die "go install $MINIO_MODULE failed"
	mkdir -p "${BINARY%/*}"
	mv -- "$gobin/minio" "$BINARY" || die "go install did not produce $gobin/minio"
	rmdir -- "$gobin"
}

running_pid() { pid_from_file "$PID_FILE" "$BINARY" server "$DATA_DIR"; }

# The port is recorded when the state dir is made, so env and status agree with what runs.
configured_port() {
	local key value
	while IFS='=' read -r key value; do
		[[ $key == port ]] && echo "$value" && return 0
	done <"$PARAMS"
	return 1
}

make_state() {
	[[ -f $CREDENTIALS && -f $PARAMS ]] && return 0
	local port=${MINIO_PORT:-9000} user password
	mkdir -p "$DATA_DIR" "$STATE/certs"
	chmod 0700 "$STATE"
	printf 'port=%s\n' "$port" >"$PARAMS"
	user=iri-root-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	password=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
	(
		umask 077
		jq -n --arg user "$user" --arg password "$password" '{user: $user, password: $password}' >"$CREDENTIALS"
	)
	chmod 0600 "$CREDENTIALS"
}

wait_ready() {
	local pid=$1 port=$2 deadline=$((SECONDS + TIMEOUT)) code
	while :; do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/minio/health/ready" || true)
		[[ $code == 200 ]] && return 0
		alive "$pid" || die "minio exited: $(tail -n 5 "$LOG_FILE")"
		deadline_passed "$deadline" && die "minio did not answer on 127.0.0.1:$port; see $LOG_FILE"
		sleep 0.2
	done
}

cmd_start() {
	ensure_binary
	make_state
	local pid port
	port=$(configured_port) || die "no port in $PARAMS"
	[[ -z ${MINIO_PORT:-} || $MINIO_PORT == "$port" ]] ||
		die "$STATE was created with MINIO_PORT=$port (asked for $MINIO_PORT); remove it or use that port"
	if pid=$(running_pid); then
		log "already running (pid $pid) on 127.0.0.1:$port"
		return 0
	fi
	port_in_use "$port" && die "port $port is taken by another process (set MINIO_PORT for a new state dir)"
	port_in_use $((port + 1)) && die "console port $((port + 1)) is taken by another process"
	# A clean environment: MinIO reads MINIO_* variables as configuration. The root credentials go through
	# the environment (readable only by root), never through argv.
	setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$STATE" \
		MINIO_ROOT_USER="$(jq -r .user "$CREDENTIALS")" MINIO_ROOT_PASSWORD="$(jq -r .password "$CREDENTIALS")" \
		MINIO_BROWSER=off MINIO_UPDATE=off \
		"$BINARY" server --quiet --address "127.0.0.1:$port" --console-address "127.0.0.1:$((port + 1))" \
		--certs-dir "$STATE/certs" "$DATA_DIR" >>"$LOG_FILE" 2>&1 </dev/null &
	pid=$!
	echo "$pid" >"$PID_FILE"
	wait_ready "$pid" "$port"
	log "up: http://127.0.0.1:$port (pid $pid)"
}

cmd_stop() {
	local pid
	if pid=$(running_pid); then
		kill -TERM "$pid" 2>/dev/null || true
		wait_exit minio "$pid" 15
		log "stopped (pid $pid)"
	fi
	rm -f -- "$PID_FILE"
}

cmd_status() {
	local pid
	if pid=$(running_pid); then
		printf 'minio running (pid %s) on http://127.0.0.1:%s\n' "$pid" "$(configured_port)"
	else
		printf 'minio stopped\n'
		return 3
	fi
}

cmd_env() {
	[[ -f $CREDENTIALS ]] || die "no MinIO in $STATE; run: scripts/minio.sh start"
	printf 'export %s=%q\n' \
		MINIO_ENDPOINT "http://127.0.0.1:$(configured_port)" \
		MINIO_ROOT_USER "$(jq -r .user "$CREDENTIALS")" \
		MINIO_ROOT_PASSWORD "$(jq -r .password "$CREDENTIALS")"
}

case $COMMAND in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env) cmd_env ;;
build) ensure_binary ;;
*) usage ;;
esac
