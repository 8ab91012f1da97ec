#!/usr/bin/env bash
# The demo: what `make demo` runs. It grows with the capabilities that land.
#
# Today: lint and render the demo chart with sops-encrypted staging secrets
# (decrypted in memory, masked in all output), start the embedded Kubernetes
# simulator, apply the release with server-side apply and track it to ready;
# then roll out a build whose pods crash and watch deploykit fail within a
# second of the first CrashLoopBackOff, naming pod, container, exit code and
# the crashed container's last log lines.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/deploykit-demo.XXXXXX")"
sim_pid=""
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# The example key is public and insecure: it protects the demo's secrets only.
export SOPS_AGE_KEY_FILE="$here/../../keys/example/age.key"
export KUBECONFIG="$work/kubeconfig"
chart="$here/charts/web"
stage=(-f "$here/values/staging.yaml" -f "$here/secrets/staging.yaml" --release web -n staging)

step() { printf '\n==> %s\n' "$*"; }

step "deploykit lint (demo chart, staging values, sops-encrypted staging secrets)"
deploykit lint "$chart" "${stage[@]}"

step "deploykit template: Secret data is masked unless --show-secrets"
deploykit template "$chart" "${stage[@]}" | sed -n '/^kind: Secret$/,/^---$/p' | head -20

step "deploykit sim serve: a Kubernetes API server with simulated controllers on loopback"
deploykit sim serve --kubeconfig-out "$KUBECONFIG" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 50); do [ -s "$KUBECONFIG" ] && break; sleep 0.1; done
head -1 "$work/sim.log"
kubectl create namespace staging >/dev/null

apply() {  # render with the real secret data and apply it with server-side apply, field manager deploykit
    deploykit template "$chart" "${stage[@]}" --show-secrets "$@" \
        | kubectl apply --server-side --field-manager deploykit --force-conflicts -f - >/dev/null
}

step "release 1.4.0: apply and track until ready"
apply
deploykit template "$chart" "${stage[@]}" | deploykit track -f - --timeout 2m

step "release 1.5.0, whose pods crash on start: deploykit fails fast and shows why"
broken=(--set image.tag=1.5.0 --set migrations.enabled=false
        --set 'podAnnotations.sim\.deploykit\.io/behavior=crashloop'
        --set-string 'podAnnotations.sim\.deploykit\.io/logs=panic: DATABASE_URL is not set')
apply "${broken[@]}"
if deploykit template "$chart" "${stage[@]}" "${broken[@]}" | deploykit track -f - --timeout 2m; then
    echo "unexpected: the broken release was reported ready" >&2
    exit 1
fi
printf '\nThe demo is done: the second release failed as it should (exit code 1 above).\n'
