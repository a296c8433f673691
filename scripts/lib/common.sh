# shellcheck shell=bash
# Helpers shared by the service scripts: logging, process liveness and stopping processes we started.
# Source it after setting LOG_TAG.

log() { printf '[%s %3ds] %s\n' "${LOG_TAG:-scripts}" "$SECONDS" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

deadline_passed() { ((SECONDS >= $1)); }

port_in_use() { [[ -n $(ss -Htln "sport = :$1") ]]; }

# free_port PORT: the first port from PORT on that nothing listens on.
free_port() {
	local port=$1
	while port_in_use "$port"; do port=$((port + 1)); done
	echo "$port"
}

# A daemonized process that exited stays a zombie until pid 1 reaps it, which some inits do only every few
# seconds; it counts as gone once every one of its threads is a zombie.
alive() {
	local task stat
	for task in /proc/"$1"/task/*; do
		{ read -r stat <"$task/stat"; } 2>/dev/null || continue
		stat=${stat##*) }
		[[ ${stat%% *} == Z ]] || return 0
	done
	return 1
}

# pid_from_file PID_FILE WORD...: prints the pid in PID_FILE only if that process is alive and its command
# line contains every WORD (as whole space-separated arguments), so a recycled pid is never mistaken for ours.
pid_from_file() {
	local pid_file=$1 pid cmdline word
	shift
	{ read -r pid <"$pid_file"; } 2>/dev/null || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	alive "$pid" || return 1
	cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	cmdline=" $cmdline"
	for word in "$@"; do
		[[ $cmdline == *" $word "* ]] || return 1
	done
	echo "$pid"
}

# wait_exit NAME PID GRACE_SECONDS: waits for PID to exit after it was sent SIGTERM; SIGKILL after the grace.
wait_exit() {
	local name=$1 pid=$2 deadline=$((SECONDS + $3))
	while alive "$pid" && ! deadline_passed "$deadline"; do sleep 0.05; done
	alive "$pid" || return 0
	log "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	deadline=$((SECONDS + 5))
	while alive "$pid" && ! deadline_passed "$deadline"; do sleep 0.05; done
	if alive "$pid"; then
		die "$name (pid $pid) would not exit"
	fi
}
