"""A Go-template (Helm) chart through `upgrade`, `plan`, `rollback` on the simulated cluster: Helm's engine renders it."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.release.conftest import CANARY, Deploy, decoded_texts
from tests.plugins.charts import REPO

GO_CHART = REPO / "tests" / "data" / "charts" / "go-web"
CRASH = ("--set", "behavior=crashloop", "--set", "extraConfig=true", "--set", "image=registry.example.com/web:3")


@pytest.fixture
def go_deploy(deploy: Deploy, tmp_path: Path) -> Deploy:
    """The `deploy` harness with the Go-template chart in place of the Jinja2 one (same sops file: password=CANARY).

    Without crds/: its CRD is cluster-wide, and one release of the shared cluster owns it (the install test's).
    """
    deploy.chart = Path(shutil.copytree(GO_CHART, tmp_path / "go-web", ignore=shutil.ignore_patterns("crds")))
    return deploy


def _template(deploy: Deploy, *args: str) -> subprocess.CompletedProcess[str]:
    """`deploykit template` (it takes no --kubeconfig: it never talks to a cluster), its output kept for leak checks."""
    done = subprocess.run([sys.executable, "-m", "deploykit", "template", "app", str(deploy.chart), *args],
                          capture_output=True, text=True, timeout=90, env=deploy.env, stdin=subprocess.DEVNULL)
    deploy.outputs += [done.stdout, done.stderr]
    return done


def _statuses(deploy: Deploy) -> list[tuple[int, str]]:
    return [(row["revision"], row["status"]) for row in deploy.history()]


def _payloads(deploy: Deploy) -> list[dict]:
    """Every release record of the namespace, decoded (chunks joined in order)."""
    found = []
    for secret in sorted(deploy.records(), key=lambda s: s["metadata"]["name"]):
        data = secret.get("data") or {}
        chunks = [base64.b64decode(base64.b64decode(data[key])) for key in sorted(data)]
        try:
            found.append(json.loads(gzip.decompress(b"".join(chunks))))
        except (OSError, ValueError):
            continue
    return found


def test_go_chart_installs_through_helms_engine(go_deploy):
    """A Helm chart (library chart, tpl, .Files, crds/, NOTES.txt) would not install, or render differently from Helm."""
    shutil.copytree(GO_CHART / "crds", go_deploy.chart / "crds")
    done = go_deploy.upgrade("--create-namespace")
    assert done.returncode == 0, done.stdout + done.stderr
    live = go_deploy.get("deployment", "app-go-web")
    assert live["status"]["readyReplicas"] == 2
    assert live["metadata"]["labels"]["helm.sh/chart"] == "go-web-1.2.0"  # from the `common` library chart
    assert len(live["spec"]["template"]["metadata"]["annotations"]["checksum/config"]) == 64
    config = go_deploy.get("configmap", "app-go-web")
    assert config["data"]["greeting"] == "hello from app"  # tpl
    assert "log_level = info" in config["data"]["app.conf"]  # .Files.Get
    assert go_deploy.get("customresourcedefinition", "widgets.go-web.example.com") is not None  # crds/
    assert "app-go-web is deployed (revision 1)." in done.stdout  # NOTES.txt
    assert _statuses(go_deploy) == [(1, "deployed")]
    assert [p["templateEngine"] for p in _payloads(go_deploy)] == ["helm"]


def test_lookup_reads_the_target_cluster_in_upgrade_and_nothing_in_template(go_deploy):
    """`lookup` would return nothing on upgrade (Helm answers it from the cluster), or reach a cluster in `template`."""
    assert go_deploy.upgrade("--create-namespace").returncode == 0
    go_deploy.kubectl("create", "secret", "generic", "app-go-web-generated", "--from-literal=token=abc")
    assert go_deploy.upgrade().returncode == 0
    assert go_deploy.get("secret", "app-go-web")["metadata"]["annotations"]["go-web/generated-secret-found"] == "yes"
    rendered = _template(go_deploy, "-n", go_deploy.namespace, "-f", str(go_deploy.secrets))
    assert rendered.returncode == 0, rendered.stderr
    assert "go-web/generated-secret-found: 'no'" in rendered.stdout


def test_hook_of_a_go_chart_runs_before_the_upgrade(go_deploy):
    """A `helm.sh/hook` Job of a Helm chart would be applied as a plain object, or not run at all."""
    assert go_deploy.upgrade("--create-namespace").returncode == 0
    done = go_deploy.upgrade("--set", "hookBehavior=exit:1", "--set", "replicas=3")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "migration ran for revision 2" in done.stdout
    assert go_deploy.get("deployment", "app-go-web")["spec"]["replicas"] == 2
    assert [status for _, status in _statuses(go_deploy)] == ["superseded", "failed", "deployed"]


def test_plan_of_a_go_chart_shows_the_field_change(go_deploy):
    """`deploykit plan` would not work with a Helm chart, or not show what changes."""
    assert go_deploy.upgrade("--create-namespace").returncode == 0
    plan = go_deploy.run("plan", "app", str(go_deploy.chart), "-n", go_deploy.namespace, "-f", str(go_deploy.secrets),
                         "--set", "replicas=3", "--detailed-exitcode")
    assert plan.returncode == 6, plan.stdout + plan.stderr
    assert "spec.replicas: 2 -> 3" in plan.stdout


def test_failed_upgrade_of_a_go_chart_is_rolled_back_from_its_record(go_deploy):
    """A crashing Helm-chart upgrade would not be rolled back, or the rollback would re-render with the wrong engine."""
    assert go_deploy.upgrade("--create-namespace").returncode == 0
    done = go_deploy.upgrade(*CRASH)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rolled back to revision 1" in done.stderr
    live = go_deploy.get("deployment", "app-go-web")
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/web:2.0"
    assert go_deploy.get("configmap", "app-go-web-extra") is None
    assert _statuses(go_deploy) == [(1, "superseded"), (2, "failed"), (3, "deployed")]
    shutil.rmtree(go_deploy.chart)  # `rollback` re-renders revision 1 from its record alone
    again = go_deploy.run("rollback", "app", "1", "-n", go_deploy.namespace, "--timeout", "30s")
    assert again.returncode == 0, again.stdout + again.stderr
    assert _statuses(go_deploy)[-1] == (4, "deployed")


def test_sops_canary_of_a_go_chart_never_shows(go_deploy, tmp_path):
    """A decrypted secret rendered by a Helm chart would show in output, plan, records or a report."""
    report = tmp_path / "report.json"
    assert go_deploy.upgrade("--create-namespace", "--report", str(report)).returncode == 0
    go_deploy.run("plan", "app", str(go_deploy.chart), "-n", go_deploy.namespace, "-f", str(go_deploy.secrets),
                  "--set", "replicas=3")
    go_deploy.upgrade(*CRASH)
    assert _template(go_deploy, "-f", str(go_deploy.secrets), "--include-crds").returncode == 0
    go_deploy.run("get", "manifest", "app", "-n", go_deploy.namespace)
    live = json.loads(go_deploy.kubectl("get", "deployment", "app-go-web", "-o", "json"))
    assert live["metadata"]["annotations"]["password-hint"] == f"pw {CANARY}"  # the canary was really rendered
    texts = [*go_deploy.outputs, report.read_text(), *decoded_texts(go_deploy.records())]
    assert all(CANARY not in text for text in texts)
    assert all(CANARY not in text for text in decoded_texts(_payloads(go_deploy)))


def test_secret_in_a_go_chart_fail_message_is_masked(go_deploy):
    """A chart's `fail` quoting a decrypted value would print the secret in the error."""
    done = _template(go_deploy, "-f", str(go_deploy.secrets), "--set", "strictPassword=true")
    assert done.returncode == 2
    assert "go-web/templates/deployment.yaml:5: password" in done.stderr and "is shorter than 32 characters" in done.stderr
    assert CANARY not in done.stderr and done.stdout == ""


def test_rollback_re_renders_with_the_engine_the_revision_was_deployed_with(deploy, tmp_path):
    """A revision deployed with --template-engine helm would be re-rendered as Jinja2 on rollback, and fail."""
    chart = tmp_path / "plain"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: plain\nversion: 1.0.0\n")
    template = chart / "templates" / "cm.yaml"
    template.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata:\n  text: '{{`{{ one }}`}}'\n")
    forced = ("--template-engine", "helm", "--create-namespace")
    assert deploy.run("upgrade", "app", str(chart), "-i", "-n", deploy.namespace, *forced).returncode == 0
    template.write_text(template.read_text().replace("one", "two"))
    assert deploy.run("upgrade", "app", str(chart), "-n", deploy.namespace, *forced).returncode == 0
    assert deploy.get("configmap", "plain")["data"]["text"] == "{{ two }}"
    done = deploy.run("rollback", "app", "1", "-n", deploy.namespace, "--timeout", "30s")
    assert done.returncode == 0, done.stdout + done.stderr
    assert deploy.get("configmap", "plain")["data"]["text"] == "{{ one }}"


SCALER_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: scalers.autoscaling.example.com}
spec:
  group: autoscaling.example.com
  names: {kind: Scaler, plural: scalers, singular: scaler}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
"""


def test_capabilities_list_the_api_versions_the_cluster_serves(go_deploy):
    """`.Capabilities.APIVersions.Has` would not see a CRD's API the target cluster serves (Helm's does)."""
    go_deploy.kubectl("apply", "-f", "-", stdin=SCALER_CRD)
    done = go_deploy.upgrade("--create-namespace")
    assert done.returncode == 0, done.stdout + done.stderr
    scaler = json.loads(go_deploy.kubectl("get", "scalers.autoscaling.example.com", "app-go-web", "-o", "json"))
    assert scaler["spec"]["target"] == "app-go-web"


def test_go_chart_upgrades_with_a_secrets_scheme_values_file(go_deploy):
    """helm-secrets' `-f secrets://FILE` would not reach a Go-template chart decrypted, or would show the secret."""
    done = go_deploy.run("upgrade", "app", str(go_deploy.chart), "--install", "--create-namespace", "-n",
                         go_deploy.namespace, "-f", f"secrets://{go_deploy.secrets}", "--timeout", "30s")
    assert done.returncode == 0, done.stdout + done.stderr
    secret = go_deploy.get("secret", "app-go-web")
    assert base64.b64decode(secret["data"]["password"]).decode() == CANARY
    assert all(CANARY not in text for text in decoded_texts(go_deploy.outputs))


def test_schema_check_of_a_go_chart_names_the_template_line_and_applies_nothing(go_deploy):
    """A Go template's unknown field would reach the cluster, or the error would not name the template file and line."""
    template = go_deploy.chart / "templates" / "deployment.yaml"
    lines = template.read_text().splitlines()
    at = lines.index("  replicas: {{ .Values.replicas }}") + 1
    template.write_text("\n".join([*lines[:at], "  replicaz: 3", *lines[at:]]) + "\n")
    done = go_deploy.upgrade("--create-namespace")
    assert done.returncode == 2, done.stdout + done.stderr
    assert (f"go-web/templates/deployment.yaml:{at + 1}: Deployment {go_deploy.namespace}/app-go-web: "
            "spec.replicaz: unknown field") in done.stderr
    assert go_deploy.get("deployment", "app-go-web") is None


LIVE_TOKEN = "live-Tok-" + "4b8d2e6f1a"
FROM_LIVE = """{{- $live := lookup "v1" "Secret" .Release.Namespace "live-db" }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: from-live
data:
  copied: {{ dig "data" "token" "" $live | b64dec | quote }}
  encoded: {{ dig "data" "token" "" $live | quote }}
"""


def test_secret_read_by_lookup_is_kept_out_of_records_and_output(go_deploy):
    """A live Secret a Go chart reads with `lookup` would be stored in clear in the release record (or printed)."""
    assert go_deploy.upgrade("--create-namespace").returncode == 0
    go_deploy.kubectl("create", "secret", "generic", "live-db", f"--from-literal=token={LIVE_TOKEN}")
    (go_deploy.chart / "templates" / "from-live.yaml").write_text(FROM_LIVE)
    done = go_deploy.upgrade("--report", str(go_deploy.chart.parent / "report.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert go_deploy.get("configmap", "from-live")["data"]["copied"] == LIVE_TOKEN  # really rendered from the cluster
    plan = go_deploy.run("plan", "app", str(go_deploy.chart), "-n", go_deploy.namespace, "-f", str(go_deploy.secrets))
    assert plan.returncode in (0, 1), plan.stderr
    texts = [*go_deploy.outputs, (go_deploy.chart.parent / "report.json").read_text(), *decoded_texts(go_deploy.records()),
             *decoded_texts(_payloads(go_deploy))]
    assert all(LIVE_TOKEN not in text for text in texts)
