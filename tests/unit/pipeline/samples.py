"""A pipeline project in a temporary folder: a chart, values and sops-encrypted secrets per stage, and the file."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
ENCRYPTED = REPO / "pipelines" / "demo" / "secrets" / "staging.yaml"  # sops-encrypted to keys/example/
STAGES = ("staging", "qa", "production")

HEADER = """\
apiVersion: deploykit.io/v1
kind: Pipeline
metadata:
  name: shop
"""

BODY = """\
releases:
  - name: db
    chart: charts/app
    namespace: shop
  - name: web
    chart: charts/app
    namespace: shop
    values: [values/common.yaml]
    secrets: [secrets/common.yaml]
    set: {replicas: 3, debug: true, image.tag: "1.4"}
    needs: [db]
stages:
  - name: staging
    clusters:
      - sim: {state: "work/{stage}"}
    values: ["values/{stage}.yaml"]
    secrets: ["secrets/{stage}.yaml"]
  - name: qa
    requires: [staging]
    clusters:
      - name: east
        kubeconfig: kube/config
        context: qa-east
      - name: west
        context: qa-west
    values: ["values/{stage}.yaml"]
    policy: {timeout: 90s, atomic: false, createNamespace: true}
  - name: production
    requires: [staging, qa]
    approval: manual
    clusters:
      - sim: {state: "work/{stage}"}
"""
VALID = HEADER + "spec:\n" + textwrap.indent(BODY, "  ")
FLAT = HEADER + BODY


def project(root: Path, text: str = VALID, *, name: str = "shop.yaml") -> Path:
    """Write the supporting files under `root`, and `text` (dedented) as the pipeline file; its path."""
    (root / "charts" / "app").mkdir(parents=True, exist_ok=True)
    (root / "charts" / "app" / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
    (root / "values").mkdir(exist_ok=True)
    (root / "secrets").mkdir(exist_ok=True)
    for stage in ("common", *STAGES):
        (root / "values" / f"{stage}.yaml").write_text("replicaCount: 1\n")
        shutil.copyfile(ENCRYPTED, root / "secrets" / f"{stage}.yaml")
    path = root / name
    path.write_text(textwrap.dedent(text))
    return path


def with_stages(stages: str, *, releases: str = "releases: [{name: web, chart: charts/app, namespace: shop}]\n") -> str:
    """A top-level-form pipeline with the given `stages:` block."""
    return HEADER + releases + textwrap.dedent(stages)
