"""bench/pipeline: a three-stage pipeline of 20 releases, `deploykit pipeline run` vs a helmfile-like Helm 4 loop.

Run: .venv/bin/python bench/pipeline/run.py [--releases 20] [--stages 3] [--replicas 2] [--skip-helm] [--json]

One simulator per stage (`deploykit sim serve`, controllers on, speed 1, each
in its own process) stands for the stage's cluster; both sides deploy to the
same simulators, deploykit into namespaces `dk-NN`, Helm into `helm-NN`.
Every release is the same small app, generated as a Jinja2 chart (deploykit)
and as a Go-template chart (Helm): a Deployment of --replicas pods, a Service
and a ConfigMap, so both wait for the same readiness.

- deploykit: one `deploykit pipeline run FILE` process runs every stage in
  promotion order. Each stage after the first `requires` the one before, so
  the run also signs each stage's report (keys/example, demo key) and
  verifies it before the next stage; the releases of a stage have no `needs`
  and deploy in parallel waves, each tracked until ready.
- Helm 4: what a helmfile-like CI script does, in one Python process
  (helm-python-sdk): for each stage in order, for each release in turn,
  `upgrade --install` (status, then install or upgrade) with wait="watcher"
  until ready. Sequential, as `helmfile --concurrency 1` or a shell loop of
  `helm upgrade --install --wait`; no signing, no evidence.

Measured: the wall time of each whole process, its peak RSS, and per stage
(deploykit from its stage reports, Helm timed in its loop).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import simserver  # noqa: E402

DEPLOYKIT = simserver.DEPLOYKIT
SIGNING_KEY = REPO / "keys" / "example" / "report-signing.ed25519.pem"
PUBLIC_KEY = REPO / "keys" / "example" / "report-signing.ed25519.pub.pem"
HELM_LOOP = """
import json, sys, time
from helm_python import Config
from helm_python.errors import HelmNotFoundError
plan = json.loads(sys.argv[1])
stages = []
for stage in plan["stages"]:
    start = time.monotonic()
    for release in plan["releases"]:
        namespace = "helm-" + release
        with Config(kubeconfig_path=stage["kubeconfig"], kube_context="deploykit-sim", namespace=namespace) as helm:
            try:
                helm.status(release)
            except HelmNotFoundError:
                helm.install(plan["chart"], release, {}, namespace=namespace, create_namespace=True,
                             wait="watcher", timeout=300)
            else:
                helm.upgrade(plan["chart"], release, {}, namespace=namespace, wait="watcher", timeout=300)
    stages.append(time.monotonic() - start)
print(json.dumps(stages))
"""


def write_charts(root: pathlib.Path, replicas: int) -> tuple[pathlib.Path, pathlib.Path]:
    """(Jinja2 chart, Go-template chart) of one small app: Deployment, Service, ConfigMap."""
    charts = []
    for flavour, name in (("jinja", "{{ Release.Name }}"), ("helm", "{{ .Release.Name }}")):
        chart = root / flavour / "app"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
        (chart / "values.yaml").write_text(f"replicas: {replicas}\n")
        replicas_ref = "{{ Values.replicas }}" if flavour == "jinja" else "{{ .Values.replicas }}"
        (chart / "templates" / "deployment.yaml").write_text(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: \"{name}\"}}\nspec:\n"
            f"  replicas: {replicas_ref}\n  selector: {{matchLabels: {{app: \"{name}\"}}}}\n  template:\n"
            f"    metadata:\n      labels: {{app: \"{name}\"}}\n"
            "    spec:\n      containers: [{name: app, image: \"registry.example.com/app:1\", ports: [{containerPort: 8080}]}]\n")
        (chart / "templates" / "service.yaml").write_text(
            f"apiVersion: v1\nkind: Service\nmetadata: {{name: \"{name}\"}}\n"
            f"spec: {{selector: {{app: \"{name}\"}}, ports: [{{port: 80, targetPort: 8080}}]}}\n")
        (chart / "templates" / "configmap.yaml").write_text(
            f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: \"{name}-config\"}}\ndata: {{mode: bench}}\n")
        charts.append(chart)
    return charts[0], charts[1]


def write_pipeline(root: pathlib.Path, chart: pathlib.Path, releases: list[str], kubeconfigs: list[pathlib.Path]) -> pathlib.Path:
    key = "\n".join("    " + line for line in PUBLIC_KEY.read_text().strip().splitlines())
    lines = ["apiVersion: deploykit.io/v1", "kind: Pipeline", "metadata: {name: bench}", "spec:",
             "  publicKey: |", key, "  releases:"]
    lines += [f"    - {{name: {name}, chart: {chart}, namespace: dk-{name}}}" for name in releases]
    lines.append("  stages:")
    for index, kubeconfig in enumerate(kubeconfigs):
        lines += [f"    - name: stage{index + 1}", f"      clusters: [{{name: sim, kubeconfig: {kubeconfig}, "
                  "context: deploykit-sim}]", "      policy: {timeout: 5m, createNamespace: true}"]
        if index:
            lines.append(f"      requires: [stage{index}]")
    path = root / "pipeline.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def stage_seconds(report_dir: pathlib.Path, stages: int) -> list[float]:
    """Each stage's duration from its report.json (started -> finished of its cluster)."""
    from datetime import datetime

    found = []
    for index in range(stages):
        reports = sorted((report_dir / f"stage{index + 1}").rglob("report.json"))
        report = json.loads(reports[0].read_text())
        started, finished = (datetime.fromisoformat(report[key].replace("Z", "+00:00")) for key in ("startedAt", "finishedAt"))
        found.append((finished - started).total_seconds())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--releases", type=int, default=20)
    parser.add_argument("--stages", type=int, default=3)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--skip-helm", action="store_true")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON holding every figure")
    args = parser.parse_args()
    releases = [f"r{index:02d}" for index in range(args.releases)]
    report: dict = {"releases": args.releases, "stages": args.stages, "replicas": args.replicas}
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp, contextlib.ExitStack() as stack:
        root = pathlib.Path(tmp)
        env = {**os.environ, "HELM_CACHE_HOME": str(root / "helm-cache"), "DEPLOYKIT_CACHE_DIR": str(root / "dk-cache"),
               "DEPLOYKIT_REPORT_KEY": SIGNING_KEY.read_text()}
        kubeconfigs = [root / f"kubeconfig-{index + 1}" for index in range(args.stages)]
        for kubeconfig in kubeconfigs:
            stack.enter_context(simserver.simulator("--kubeconfig-out", str(kubeconfig)))
        jinja, gotpl = write_charts(root, args.replicas)
        pipeline = write_pipeline(root, jinja, releases, kubeconfigs)
        print(f"{args.stages} stages x {args.releases} releases (Deployment of {args.replicas} pods, Service, "
              f"ConfigMap), one simulator per stage")
        seconds, rss, _ = simserver.measured(
            [DEPLOYKIT, "pipeline", "run", str(pipeline), "--report-dir", str(root / "reports")], env)
        report.update(deploykit=seconds, deploykit_rss=rss,
                      deploykit_stages=stage_seconds(root / "reports", args.stages))
        print(f"deploykit pipeline run: {seconds:.2f} s (stages {', '.join(f'{s:.1f}' for s in report['deploykit_stages'])} s;"
              f" peak RSS {rss} MB)")
        if not args.skip_helm:
            plan = {"chart": str(gotpl), "releases": releases, "stages": [{"kubeconfig": str(k)} for k in kubeconfigs]}
            seconds, rss, output = simserver.measured([sys.executable, "-c", HELM_LOOP, json.dumps(plan)], env)
            report.update(helm=seconds, helm_rss=rss, helm_stages=json.loads(output.strip().splitlines()[-1]))
            print(f"Helm 4 sequential upgrade --install --wait loop: {seconds:.2f} s (stages "
                  f"{', '.join(f'{s:.1f}' for s in report['helm_stages'])} s; peak RSS {rss} MB)")
            print(f"ratio deploykit / Helm: {report['deploykit'] / report['helm']:.2f}")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
