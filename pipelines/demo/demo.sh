#!/usr/bin/env bash
# The demo: what `make demo` runs. It grows with the capabilities that land.
#
# Today: validate the demo pipeline (pipelines/demo.yaml), lint and render the demo chart with sops-encrypted staging secrets
# (decrypted in memory, masked in all output), start the embedded Kubernetes
# simulator, install the release with `deploykit upgrade --install` (plan,
# server-side apply, tracking, a release record), show that a repeated
# upgrade writes nothing and that `plan` names drift; then upgrade to a build
# whose pods crash and watch deploykit fail within a second of the first
# CrashLoopBackOff, naming pod, container, exit code and the crashed
# container's last log line, and roll back to the previous revision. Then a
# Go-template Helm chart installed by Helm 4, adopted by deploykit in place and
# upgraded with the same chart through Helm's engine. Then the demo pipeline
# (pipelines/demo.yaml): staging -> qa -> production with signed reports as
# evidence, and a broken build that fails in staging, is rolled back and is
# refused promotion to qa.
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

step "deploykit pipeline validate: the demo pipeline, staging -> qa -> production (docs/pipelines.md)"
deploykit pipeline validate "$(dirname "$here")/demo.yaml"

step "deploykit lint (demo chart, staging values, sops-encrypted staging secrets)"
deploykit lint "$chart" "${stage[@]}"

step "deploykit template: Secret data is masked unless --show-secrets"
deploykit template "$chart" "${stage[@]}" | sed -n '/^kind: Secret$/,/^---$/p' | head -20

step "deploykit sim serve: a Kubernetes API server with simulated controllers on loopback"
deploykit sim serve --kubeconfig-out "$KUBECONFIG" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 50); do [ -s "$KUBECONFIG" ] && break; sleep 0.1; done
head -1 "$work/sim.log"
release=(web "$chart" -f "$here/values/staging.yaml" -f "$here/secrets/staging.yaml" -n staging)

step "deploykit upgrade --install: plan, server-side apply, track until ready, record revision 1"
deploykit upgrade "${release[@]}" --install --create-namespace --timeout 2m

step "the same upgrade again: nothing changed, so nothing is written (no new revision)"
deploykit upgrade "${release[@]}"

step "drift: someone scales the Deployment by hand; deploykit plan shows it and who did it"
kubectl scale deployment/web -n staging --replicas=0 >/dev/null
deploykit plan "${release[@]}"

step "release 1.5.0, whose pods crash on start: deploykit fails fast, shows why, and rolls back"
broken=(--set image.tag=1.5.0 --set migrations.enabled=false
        --set 'podAnnotations.sim\.deploykit\.io/behavior=crashloop'
        --set-string 'podAnnotations.sim\.deploykit\.io/logs=panic: DATABASE_URL is not set')
if deploykit upgrade "${release[@]}" "${broken[@]}" --timeout 2m; then
    echo "unexpected: the broken release was reported deployed" >&2
    exit 1
fi

step "deploykit history: the failed revision, and the rollback that restored revision 1"
deploykit history web -n staging

# An existing Helm chart (Go templates) and a release Helm installed: what a team brings on day one.
go_chart="$here/../../tests/data/charts/go-web"
go_values=(--set password=change-me-please-0123 --timeout 2m)

step "helm install shop (Helm 4, through helm-python-sdk): a Go-template chart, installed the Helm way"
python - "$KUBECONFIG" "$go_chart" <<'PY'
import sys
from helm_python import Config
with Config(kubeconfig_path=sys.argv[1], namespace="shop") as helm:
    release = helm.install(sys.argv[2], "shop", {"password": "change-me-please-0123"}, namespace="shop",
                           create_namespace=True)
print(f"Helm release shop/shop revision {release['revision']}: {release['status']}")
PY

step "deploykit adopt helm: the release taken over in place (nothing recreated, field ownership moved, Helm's records kept)"
deploykit adopt helm shop -n shop

step "deploykit upgrade with the same Go-template chart, rendered by Helm 4's engine: revision 2 of the adopted release"
deploykit upgrade shop "$go_chart" -n shop --set replicas=3 "${go_values[@]}"
deploykit history shop -n shop

# The pipeline: one build promoted stage by stage, each stage on its own embedded simulator (state in .deploykit/sim),
# each stage's report signed with the example key (public and insecure: demo only) and required by the next stage.
root="$(cd "$here/../.." && pwd)"
reports="$root/.deploykit/reports"
export DEPLOYKIT_REPORT_KEY="$(cat "$root/keys/example/report-signing.ed25519.pem")"
rm -rf "$root/.deploykit/sim" "$reports"

step "deploykit pipeline run: staging -> qa -> production (approved), signed evidence between the stages"
(cd "$root" && deploykit pipeline run pipelines/demo.yaml --report-dir "$reports" --approve production)

step "a broken build (crash-looping pods): fails fast in staging, is rolled back, and qa refuses to promote it"
broken_root="$work/broken"
mkdir -p "$broken_root" && cp -r "$root/pipelines" "$broken_root/" && mkdir -p "$broken_root/.deploykit"
cp -r "$root/.deploykit/sim" "$broken_root/.deploykit/"   # the same clusters, as they are now
sed -i '/^migrations:/{n;s/enabled: true/enabled: false/}' "$broken_root/pipelines/demo/values/staging.yaml"
cat >>"$broken_root/pipelines/demo/values/staging.yaml" <<'YAML'
podAnnotations:
  sim.deploykit.io/behavior: crashloop
  sim.deploykit.io/logs: "panic: DATABASE_URL is not set"
YAML
cd "$broken_root"
if deploykit pipeline run pipelines/demo.yaml --stage staging --report-dir "$reports/broken/staging" --evidence "$reports/broken"; then
    echo "unexpected: the broken build was reported deployed" >&2
    exit 1
fi
if deploykit pipeline run pipelines/demo.yaml --stage qa --report-dir "$reports/broken/qa" --evidence "$reports/broken"; then
    echo "unexpected: qa accepted the broken build" >&2
    exit 1
fi
cd "$root"
printf '\nThe demo is done. The broken build failed in staging (exit 1), was rolled back, and qa refused it (exit 4).\n'
printf 'Reports (report.json, junit.xml, summary.md, deploy.env, timeline.svg, report.sig): %s\n' "$reports"
