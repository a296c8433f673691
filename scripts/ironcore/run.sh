# shellcheck shell=bash
# Sourced by scripts/ironcore.sh (which sets BIN, log): starts and stops IronCore's control plane and poollets
# on loopback. The controller manager and the volumepoollet run no controller unless `--controllers` names them. Everything lives in one state directory: certificates (a throw-away CA made with openssl), etcd
# data, logs and one pid file per process. Only processes recorded there, still running the binary they were
# started from, are ever stopped.

IRONCORE_ETCD_PORT=${IRONCORE_ETCD_PORT:-23790}
IRONCORE_ETCD_PEER_PORT=${IRONCORE_ETCD_PEER_PORT:-23800}
IRONCORE_KUBE_PORT=${IRONCORE_KUBE_PORT:-26443}
IRONCORE_APISERVER_PORT=${IRONCORE_APISERVER_PORT:-28443}
# The machinepoollet's server (exec), which the IronCore apiserver dials.
IRONCORE_MACHINEPOOLLET_PORT=${IRONCORE_MACHINEPOOLLET_PORT:-22050}
# Health probes: controller manager, machine-, volume-, bucketpoollet.
IRONCORE_PROBE_PORT_BASE=${IRONCORE_PROBE_PORT_BASE:-28081}
IRONCORE_START_TIMEOUT=${IRONCORE_START_TIMEOUT:-180}
IRONCORE_POOL_NAME=${IRONCORE_POOL_NAME:-iri-e2e}

IRONCORE_API_GROUPS=(compute core storage networking ipam)

# A certificate signed by the state dir's CA. $3: O= (or empty), $4: subjectAltName (or empty).
issue_cert() {
	local dir=$1 name=$2 org=$3 san=$4 subj="/CN=$2"
	[[ -n $org ]] && subj="/O=$org/CN=$2"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "$subj" 2>/dev/null
	{
		printf 'extendedKeyUsage=serverAuth,clientAuth\n'
		[[ -n $san ]] && printf 'subjectAltName=%s\n' "$san"
	} >"$dir/$name.ext"
	openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
		-days 7 -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>/dev/null
	rm -f "$dir/$name.csr" "$dir/$name.ext"
	chmod 0600 "$dir/$name.key"
}

make_certs() {
	local dir=$1/certs
	[[ -s $dir/admin.crt ]] && return 0
	mkdir -p "$dir"
	chmod 0700 "$dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" -subj "/CN=iri-providers-ironcore-test-ca" 2>/dev/null
	chmod 0600 "$dir/ca.key"
	local loopback="DNS:localhost,IP:127.0.0.1"
	issue_cert "$dir" kube-apiserver "" "$loopback,DNS:kubernetes.default.svc"
	# kube-apiserver verifies an aggregated apiserver as <service>.<namespace>.svc, whatever address it dials.
	issue_cert "$dir" ironcore-apiserver "" "$loopback,DNS:ironcore-apiserver.kube-system.svc"
	issue_cert "$dir" machinepoollet "" "$loopback"
	# system:masters: the test harness, the controller manager and the poollets act as cluster admins.
	issue_cert "$dir" admin system:masters ""
	# What kube-apiserver presents to the aggregated apiserver; it trusts the name, then the X-Remote-* headers.
	issue_cert "$dir" front-proxy-client "" ""
	openssl ecparam -name prime256v1 -genkey -noout -out "$dir/sa.key" 2>/dev/null
	openssl ec -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
	chmod 0600 "$dir/sa.key"
	mkdir -p "$dir/machinepoollet-serving"
	cp "$dir/machinepoollet.crt" "$dir/machinepoollet-serving/tls.crt"
	cp "$dir/machinepoollet.key" "$dir/machinepoollet-serving/tls.key"
}

write_kubeconfig() {
	local state=$1
	cat >"$state/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: iri-e2e
  cluster:
    server: https://127.0.0.1:$IRONCORE_KUBE_PORT
    certificate-authority: $state/certs/ca.crt
users:
- name: admin
  user:
    client-certificate: $state/certs/admin.crt
    client-key: $state/certs/admin.key
contexts:
- name: iri-e2e
  context: {cluster: iri-e2e, user: admin}
current-context: iri-e2e
EOF
	chmod 0600 "$state/kubeconfig"
}

# Starts one process in the background, its output in logs/NAME.log and its pid in pids/NAME.pid.
start_process() {
	local state=$1 name=$2 binary=$3
	shift 3
	if is_ours "$state" "$name" "$binary"; then
		log "$name already running"
		return 0
	fi
	setsid "$binary" "$@" >>"$state/logs/$name.log" 2>&1 </dev/null &
	local pid=$! deadline=$((SECONDS + 10))
	printf '%s %s\n' "$pid" "$binary" >"$state/pids/$name.pid"
	# Until the forked shell has exec'd, /proc/PID/exe is bash and is_ours says no: a readiness check in that
	# window would take the process for dead (seen on a loaded machine, with an empty log).
	until is_ours "$state" "$name" "$binary" || ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); do
		sleep 0.05
	done
}

# Whether pids/NAME.pid names a live process still running BINARY (a recycled pid is not ours).
is_ours() {
	local state=$1 name=$2 pid binary exe
	[[ -s $state/pids/$name.pid ]] || return 1
	read -r pid binary <"$state/pids/$name.pid"
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	[[ -z ${3:-} || $binary == "$3" ]] || return 1
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	[[ $exe == "$binary" ]]
}

stop_process() {
	local state=$1 name=$2 pid binary
	if ! is_ours "$state" "$name"; then
		rm -f "$state/pids/$name.pid"
		return 0
	fi
	read -r pid binary <"$state/pids/$name.pid"
	kill -TERM "$pid" 2>/dev/null || true
	local deadline=$((SECONDS + 15))
	while is_ours "$state" "$name" && ((SECONDS < deadline)); do sleep 0.2; done
	if is_ours "$state" "$name"; then
		log "$name did not stop on SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$state/pids/$name.pid"
}

# Polls URL until it answers 2xx (HTTPS with the admin certificate), or fails with the process's log.
wait_ready() {
	local state=$1 name=$2 url=$3 deadline=$((SECONDS + IRONCORE_START_TIMEOUT))
	local tls=(--cacert "$state/certs/ca.crt" --cert "$state/certs/admin.crt" --key "$state/certs/admin.key")
	until curl -fsS --max-time 5 "${tls[@]}" "$url" >/dev/null 2>&1; do
		if ! is_ours "$state" "$name" || ((SECONDS > deadline)); then
			log "$name is not ready at $url; its log:"
			tail -n 40 "$state/logs/$name.log" >&2
			return 1
		fi
		sleep 0.5
	done
}

# The admin's HTTPS call to kube-apiserver: METHOD PATH [curl args…].
kube_api() {
	local state=$1 method=$2 path=$3
	shift 3
	curl -fsS --max-time 30 --cacert "$state/certs/ca.crt" --cert "$state/certs/admin.crt" \
		--key "$state/certs/admin.key" -X "$method" "https://127.0.0.1:$IRONCORE_KUBE_PORT$path" "$@"
}

# Server-side apply of one JSON object (JSON is YAML), read from stdin, at PATH.
kube_apply() {
	kube_api "$1" PATCH "$2?fieldManager=iri-providers-e2e&force=true" \
		-H 'Content-Type: application/apply-patch+yaml' --data-binary @- >/dev/null
}

# The IronCore API groups served by the aggregated apiserver, reached through an ExternalName Service
# (kube-apiserver resolves it to localhost; no kube-proxy or endpoints needed).
register_apiservices() {
	local state=$1 group ca
	ca=$(base64 -w0 <"$state/certs/ca.crt")
	kube_apply "$state" /api/v1/namespaces/kube-system/services/ironcore-apiserver <<EOF
{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ironcore-apiserver", "namespace": "kube-system"},
 "spec": {"type": "ExternalName", "externalName": "localhost"}}
EOF
	for group in "${IRONCORE_API_GROUPS[@]}"; do
		kube_apply "$state" "/apis/apiregistration.k8s.io/v1/apiservices/v1alpha1.$group.ironcore.dev" <<EOF
{"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1alpha1.$group.ironcore.dev"},
 "spec": {"group": "$group.ironcore.dev", "version": "v1alpha1", "caBundle": "$ca",
  "service": {"namespace": "kube-system", "name": "ironcore-apiserver", "port": $IRONCORE_APISERVER_PORT},
  "groupPriorityMinimum": 2000, "versionPriority": 100}}
EOF
	done
}

wait_apiservices() {
	local state=$1 group deadline=$((SECONDS + IRONCORE_START_TIMEOUT))
	for group in "${IRONCORE_API_GROUPS[@]}"; do
		until kube_api "$state" GET "/apis/$group.ironcore.dev/v1alpha1" >/dev/null 2>&1; do
			if ((SECONDS > deadline)); then
				log "API group $group.ironcore.dev is not served; ironcore-apiserver log:"
				tail -n 40 "$state/logs/ironcore-apiserver.log" >&2
				return 1
			fi
			sleep 0.5
		done
	done
}

cmd_up() {
	local state=$1 name
	for name in "${ALL_BINARIES[@]}"; do
		have "$name" || {
			log "$name is not built in $BIN (run: scripts/ironcore.sh build)"
			return 1
		}
	done
	mkdir -p "$state/logs" "$state/pids" "$state/etcd"
	chmod 0700 "$state/etcd"
	state=$(cd "$state" && pwd)
	make_certs "$state"
	write_kubeconfig "$state"
	local certs=$state/certs kubeconfig=$state/kubeconfig started=$SECONDS

	start_process "$state" etcd "$BIN/etcd" --name iri-e2e --data-dir "$state/etcd" \
		--listen-client-urls "http://127.0.0.1:$IRONCORE_ETCD_PORT" \
		--advertise-client-urls "http://127.0.0.1:$IRONCORE_ETCD_PORT" \
		--listen-peer-urls "http://127.0.0.1:$IRONCORE_ETCD_PEER_PORT" \
		--initial-advertise-peer-urls "http://127.0.0.1:$IRONCORE_ETCD_PEER_PORT" \
		--initial-cluster "iri-e2e=http://127.0.0.1:$IRONCORE_ETCD_PEER_PORT" \
		--unsafe-no-fsync
	wait_ready "$state" etcd "http://127.0.0.1:$IRONCORE_ETCD_PORT/health"

	start_process "$state" kube-apiserver "$BIN/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$IRONCORE_ETCD_PORT" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$IRONCORE_KUBE_PORT" \
		--tls-cert-file "$certs/kube-apiserver.crt" --tls-private-key-file "$certs/kube-apiserver.key" \
		--client-ca-file "$certs/ca.crt" --authorization-mode RBAC \
		--service-account-issuer https://kubernetes.default.svc \
		--service-account-key-file "$certs/sa.pub" --service-account-signing-key-file "$certs/sa.key" \
		--service-cluster-ip-range 10.0.0.0/24 --allow-privileged=false \
		--requestheader-client-ca-file "$certs/ca.crt" --requestheader-allowed-names front-proxy-client \
		--requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
		--requestheader-extra-headers-prefix X-Remote-Extra- \
		--proxy-client-cert-file "$certs/front-proxy-client.crt" \
		--proxy-client-key-file "$certs/front-proxy-client.key" \
		--enable-priority-and-fairness=false --audit-log-path - --audit-log-maxage 0 --audit-log-maxbackup 0
	wait_ready "$state" kube-apiserver "https://127.0.0.1:$IRONCORE_KUBE_PORT/readyz"

	start_process "$state" ironcore-apiserver "$BIN/ironcore-apiserver" \
		--etcd-servers "http://127.0.0.1:$IRONCORE_ETCD_PORT" \
		--bind-address 127.0.0.1 --secure-port "$IRONCORE_APISERVER_PORT" \
		--tls-cert-file "$certs/ironcore-apiserver.crt" --tls-private-key-file "$certs/ironcore-apiserver.key" \
		--kubeconfig "$kubeconfig" --authentication-kubeconfig "$kubeconfig" \
		--authorization-kubeconfig "$kubeconfig" \
		--machinepoollet-certificate-authority "$certs/ca.crt" \
		--machinepoollet-client-certificate "$certs/admin.crt" --machinepoollet-client-key "$certs/admin.key" \
		--enable-priority-and-fairness=false --audit-log-path - --audit-log-maxage 0 --audit-log-maxbackup 0
	wait_ready "$state" ironcore-apiserver "https://127.0.0.1:$IRONCORE_APISERVER_PORT/readyz"
	register_apiservices "$state"
	wait_apiservices "$state"
	# Where the machinepoollet keeps its heartbeat lease (IronCore's config/namespaces).
	kube_apply "$state" /api/v1/namespaces/ironcore-machinepool-lease <<<'{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ironcore-machinepool-lease"}}'

	start_process "$state" ironcore-controller-manager "$BIN/ironcore-controller-manager" \
		--kubeconfig "$kubeconfig" --leader-elect=false --metrics-bind-address 0 --controllers '*' \
		--health-probe-bind-address "127.0.0.1:$IRONCORE_PROBE_PORT_BASE"
	wait_ready "$state" ironcore-controller-manager "http://127.0.0.1:$IRONCORE_PROBE_PORT_BASE/readyz"

	start_poollets "$state"
	log "IronCore $IRONCORE_VERSION up in $((SECONDS - started)) s; logs in $state/logs"
	printf '%s\n' "$kubeconfig"
}

start_poollets() {
	local state=$1 kubeconfig=$1/kubeconfig
	: "${IRI_MACHINE_SOCKET:?must name the machine provider socket}" "${IRI_VOLUME_SOCKET:?}" "${IRI_BUCKET_SOCKET:?}"
	start_process "$state" machinepoollet "$BIN/machinepoollet" \
		--kubeconfig "$kubeconfig" --leader-election-kubeconfig "$kubeconfig" --machine-pool-name "$IRONCORE_POOL_NAME" --provider-id "iri-providers://machine" \
		--machine-runtime-endpoint "unix://$IRI_MACHINE_SOCKET" \
		--address "127.0.0.1:$IRONCORE_MACHINEPOOLLET_PORT" --cert-dir "$state/certs/machinepoollet-serving" \
		--client-ca-file "$state/certs/ca.crt" \
		--addresses-ip-override 127.0.0.1 --addresses-hostname-override localhost \
		--metrics-bind-address 0 --health-probe-bind-address "127.0.0.1:$((IRONCORE_PROBE_PORT_BASE + 1))"
	start_process "$state" volumepoollet "$BIN/volumepoollet" \
		--kubeconfig "$kubeconfig" --leader-election-kubeconfig "$kubeconfig" --volume-pool-name "$IRONCORE_POOL_NAME" --provider-id "iri-providers://volume" \
		--volume-runtime-endpoint "unix://$IRI_VOLUME_SOCKET" --controllers '*' \
		--metrics-bind-address 0 --health-probe-bind-address "127.0.0.1:$((IRONCORE_PROBE_PORT_BASE + 2))"
	start_process "$state" bucketpoollet "$BIN/bucketpoollet" \
		--kubeconfig "$kubeconfig" --leader-election-kubeconfig "$kubeconfig" --bucket-pool-name "$IRONCORE_POOL_NAME" --provider-id "iri-providers://bucket" \
		--bucket-runtime-endpoint "unix://$IRI_BUCKET_SOCKET" \
		--metrics-bind-address 0 --health-probe-bind-address "127.0.0.1:$((IRONCORE_PROBE_PORT_BASE + 3))"
	local i names=(machinepoollet volumepoollet bucketpoollet)
	for i in 0 1 2; do
		wait_ready "$state" "${names[i]}" "http://127.0.0.1:$((IRONCORE_PROBE_PORT_BASE + i + 1))/readyz"
	done
}

cmd_down() {
	local state=$1 name
	[[ -d $state/pids ]] || return 0
	# Consumers first, the store last.
	for name in bucketpoollet volumepoollet machinepoollet ironcore-controller-manager ironcore-apiserver \
		kube-apiserver etcd; do
		stop_process "$state" "$name"
	done
}
