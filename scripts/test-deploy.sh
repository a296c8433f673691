#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# deploy/ is accepted by a real cluster: renders the base and both overlays with kubectl's kustomize, checks
# that deploy's class files are the apps' defaults, then applies every rendered object with server-side dry run
# and strict field validation to a scratch control plane (etcd, kube-apiserver 1.35 and IronCore's aggregated
# ironcore-apiserver, the binaries scripts/ironcore.sh builds; kubectl from PATH) and fails on any rejection.
# Everything runs on loopback, on free ports, in a scratch dir under .state/ that is removed unless a check
# fails; it stops only the processes it started.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly REPO_ROOT
# shellcheck disable=SC2034 # read by lib/common.sh
LOG_TAG=test-deploy
# shellcheck source=lib/common.sh
source "$REPO_ROOT/scripts/lib/common.sh"

bash "$REPO_ROOT/scripts/ironcore.sh" build
binary() { bash "$REPO_ROOT/scripts/ironcore.sh" bin "$1"; }
ETCD=$(binary etcd)
KUBE_APISERVER=$(binary kube-apiserver)
IRONCORE_APISERVER=$(binary ironcore-apiserver)
# kubectl renders (its built-in kustomize v5) and applies; the machine's own, since ironcore.sh builds none.
KUBECTL=$(command -v kubectl) || die "kubectl is not installed (it renders deploy/ and applies the dry run)"
readonly ETCD KUBE_APISERVER IRONCORE_APISERVER KUBECTL

mkdir -p "$REPO_ROOT/.state"
WORK=$(mktemp -d "$REPO_ROOT/.state/test-deploy.XXXXXX")
readonly WORK
readonly KUBECONFIG_FILE=$WORK/admin.kubeconfig
passed=0
failed=0
declare -a started=()

cleanup() {
	local i
	for ((i = ${#started[@]} - 1; i >= 0; i--)); do
		kill -TERM "${started[i]}" 2>/dev/null || true
		wait_exit "pid ${started[i]}" "${started[i]}" 20 || true
	done
	if ((failed == 0 && passed > 0)); then rm -rf -- "$WORK"; else log "kept $WORK for inspection"; fi
}
trap cleanup EXIT

# start NAME BINARY ARG...: runs a process of ours in the background with its log in the scratch dir.
start() {
	local name=$1
	shift
	"$@" >"$WORK/$name.log" 2>&1 </dev/null &
	started+=("$!")
}

check() {
	local name=$1
	shift
	if "$@" >"$WORK/check-$name.log" 2>&1; then
		passed=$((passed + 1))
		echo "PASS $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name"
		tail -n 30 "$WORK/check-$name.log" | sed 's/^/    /'
	fi
}

kubectl_admin() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" --request-timeout 30s "$@"; }

# until_ok DEADLINE_SECONDS WHAT CMD...: retries CMD until it succeeds.
until_ok() {
	local deadline=$((SECONDS + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		deadline_passed "$deadline" && die "$what did not happen in time; logs in $WORK"
		sleep 0.5
	done
}

# --- Certificates: a cluster CA (admin client), a front-proxy CA (the aggregator's client to IronCore) ------
make_certs() {
	local dir=$WORK/pki
	mkdir -p "$dir"
	(
		umask 077
		cd "$dir"
		for ca in ca front-proxy-ca; do
			openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$ca" -keyout "$ca.key" -out "$ca.crt"
		done
		openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=admin" -keyout admin.key -out admin.csr
		openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out admin.crt
		openssl req -newkey rsa:2048 -nodes -subj "/CN=front-proxy-client" -keyout proxy.key -out proxy.csr
		openssl x509 -req -in proxy.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key -CAcreateserial -days 2 \
			-out proxy.crt
		openssl genrsa -out sa.key 2048
	) >"$WORK/pki.log" 2>&1 || die "openssl failed; see $WORK/pki.log"
}

write_kubeconfig() {
	local port=$1
	"$KUBECTL" config --kubeconfig "$KUBECONFIG_FILE" set-cluster scratch --server "https://127.0.0.1:$port" \
		--insecure-skip-tls-verify=true >/dev/null
	"$KUBECTL" config --kubeconfig "$KUBECONFIG_FILE" set-credentials admin \
		--client-certificate "$WORK/pki/admin.crt" --client-key "$WORK/pki/admin.key" >/dev/null
	"$KUBECTL" config --kubeconfig "$KUBECONFIG_FILE" set-context scratch --cluster scratch --user admin >/dev/null
	"$KUBECTL" config --kubeconfig "$KUBECONFIG_FILE" use-context scratch >/dev/null
}

start_control_plane() {
	local etcd_port peer_port kube_port ironcore_port pki=$WORK/pki
	etcd_port=$(free_port 22379)
	peer_port=$(free_port $((etcd_port + 1)))
	kube_port=$(free_port 26443)
	ironcore_port=$(free_port $((kube_port + 1)))
	make_certs
	start etcd "$ETCD" --name scratch --data-dir "$WORK/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "scratch=http://127.0.0.1:$peer_port" --listen-metrics-urls ""
	# As a kubeadm cluster runs it where it matters here: RBAC, privileged pods allowed, the default
	# admission plugins, and the request-header settings an aggregated apiserver authenticates against.
	start kube-apiserver "$KUBE_APISERVER" --etcd-servers "http://127.0.0.1:$etcd_port" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$kube_port" \
		--cert-dir "$WORK/kube-apiserver-certs" --client-ca-file "$pki/ca.crt" \
		--authorization-mode Node,RBAC --allow-privileged=true --service-cluster-ip-range 10.96.0.0/16 \
		--service-account-issuer https://kubernetes.default.svc --service-account-key-file "$pki/sa.key" \
		--service-account-signing-key-file "$pki/sa.key" \
		--requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
		--requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
		--requestheader-extra-headers-prefix X-Remote-Extra- \
		--proxy-client-cert-file "$pki/proxy.crt" --proxy-client-key-file "$pki/proxy.key"
	write_kubeconfig "$kube_port"
	until_ok 120 "kube-apiserver ready" kubectl_admin get --raw /readyz
	log "kube-apiserver ready on 127.0.0.1:$kube_port"
	start ironcore-apiserver "$IRONCORE_APISERVER" --etcd-servers "http://127.0.0.1:$etcd_port" \
		--etcd-prefix /ironcore --bind-address 127.0.0.1 --secure-port "$ironcore_port" \
		--cert-dir "$WORK/ironcore-apiserver-certs" \
		--kubeconfig "$KUBECONFIG_FILE" --authentication-kubeconfig "$KUBECONFIG_FILE" \
		--authorization-kubeconfig "$KUBECONFIG_FILE"
	sed "s/IRONCORE_PORT/$ironcore_port/" "$REPO_ROOT/tests/deploy/ironcore-aggregation.yaml" |
		kubectl_admin apply -f - >/dev/null
	kubectl_admin apply -f "$REPO_ROOT/tests/deploy/servicemonitor-crd.yaml" >/dev/null
	until_ok 120 "IronCore's APIs served" kubectl_admin get machineclasses.compute.ironcore.dev,volumeclasses.storage.ironcore.dev,bucketclasses.storage.ironcore.dev
	until_ok 60 "the ServiceMonitor CRD served" kubectl_admin get servicemonitors.monitoring.coreos.com -A
	log "IronCore's APIs served through the aggregator (ironcore-apiserver on 127.0.0.1:$ironcore_port)"
}

# --- Checks ------------------------------------------------------------------------------------------------

class_files_are_the_defaults() {
	local app
	for app in machine volume bucket; do
		cmp -- "$REPO_ROOT/apps/$app-provider/config/$app-classes.json" "$REPO_ROOT/deploy/base/$app/$app-classes.json"
	done
}

# The local overlay's Secrets come from files ./secrets.sh writes; a copy of deploy/ gets stand-ins.
local_overlay_copy() {
	local copy=$WORK/deploy name
	rm -rf -- "$copy"
	cp -r -- "$REPO_ROOT/deploy" "$copy"
	mkdir -p "$copy/overlays/local/secrets"
	for name in machine-kek volume-kek bucket-kek ceph-admin-keyring rgw-access-key rgw-secret-key; do
		head -c 32 /dev/urandom >"$copy/overlays/local/secrets/$name"
	done
	echo "$copy"
}

renders() {
	local dir=$1 out=$2
	"$KUBECTL" kustomize "$dir" >"$out"
	[[ $(grep -c '^kind:' "$out") -gt 0 ]]
}

# Namespaces the manifests place objects in must exist for a dry run of those objects; they are created for
# real first (a dry run of a Namespace does not make it). Then every object, strictly validated.
accepted_by_the_cluster() {
	local rendered=$1
	kubectl_admin create namespace iri-system --dry-run=client -o yaml | kubectl_admin apply -f - >/dev/null
	kubectl_admin apply --server-side --dry-run=server --validate=strict --field-manager test-deploy -f "$rendered"
}

# Every Pod template mounts its Secrets as files: no secretKeyRef / secretRef in the environment.
secrets_only_as_files() {
	local rendered=$1
	! grep -nE 'secretKeyRef|secretRef' "$rendered"
}

start_control_plane
check class-files-are-the-defaults class_files_are_the_defaults
copy=$(local_overlay_copy)
for target in base overlays/production overlays/local; do
	dir=$REPO_ROOT/deploy/$target
	[[ $target == overlays/local ]] && dir=$copy/$target
	name=${target//\//-}
	rendered=$WORK/$name.yaml
	check "renders-$name" renders "$dir" "$rendered"
	check "accepted-$name" accepted_by_the_cluster "$rendered"
	check "secrets-as-files-$name" secrets_only_as_files "$rendered"
done
echo "$passed passed, $failed failed"
((failed == 0))
