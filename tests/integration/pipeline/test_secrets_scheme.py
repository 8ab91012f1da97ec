"""helm-secrets' `secrets://FILE` in a pipeline's values lists: an encrypted file, as in `secrets:`."""

from __future__ import annotations

import base64

from deploykit.pipeline import running
from deploykit.pipeline.model import Cluster, Pipeline, Policy, Release, Stage
from tests.plugins.charts import write_chart
from tests.plugins.secrets import CANARY
from tests.plugins.sim import Http

PIPELINE = """\
apiVersion: deploykit.io/v1
kind: Pipeline
metadata: {name: shop}
releases:
  - name: shop
    chart: shop
    namespace: shop
    values: [values.yaml, "secrets://%s"]
stages:
  - name: staging
    clusters: [{sim: {state: state}}]
"""


def _project(sops_project):
    write_chart(sops_project.root / "shop", {"templates/secret.yaml": (
        "apiVersion: v1\nkind: Secret\nmetadata: {name: shop}\nstringData: {password: {{ Values.password | quote }}}\n")})
    (sops_project.root / "values.yaml").write_text("password: plain-default-value\n")
    sops_project.encrypt("secrets/shop.yaml", f"password: {CANARY}\n")
    (sops_project.root / "plain.yaml").write_text("password: not-encrypted-at-all\n")
    return sops_project.root


def test_validate_refuses_a_plain_file_behind_secrets_scheme(sops_project, invoke_cli):
    """A values file the pipeline's author believed encrypted would be deployed from plaintext."""
    root = _project(sops_project)
    (root / "bad.yaml").write_text(PIPELINE % "plain.yaml")
    (root / "good.yaml").write_text(PIPELINE % "secrets/shop.yaml")
    bad = invoke_cli("pipeline", "validate", str(root / "bad.yaml"))
    assert bad.exit_code == 2 and f"{root}/plain.yaml is not sops-encrypted" in bad.stderr, bad.stderr
    good = invoke_cli("pipeline", "validate", str(root / "good.yaml"))
    assert good.exit_code == 0, good.stderr


def test_a_stage_decrypts_a_secrets_scheme_values_file_in_its_place(sops_project, sim_cluster_factory):
    """The encrypted file's values would be missing, or not win over the plain file listed before it."""
    root = _project(sops_project)
    handle = sim_cluster_factory()
    stage = Stage("staging", (Cluster("sim", kubeconfig=str(handle.kubeconfig)),), policy=Policy(create_namespace=True))
    release = Release("shop", "shop", "shop", values=("values.yaml", "secrets://secrets/shop.yaml"))
    pipeline = Pipeline("shop", str(root / "shop.yaml"), (release,), (stage,))
    lines: list[str] = []
    [outcome] = running.run_stage(pipeline, stage, base=root, say=lines.append)
    assert outcome.ok, lines
    assert not any(CANARY in line for line in lines)
    status, secret, _ = Http(handle.url)("GET", "/api/v1/namespaces/shop/secrets/shop")
    assert status == 200 and base64.b64decode(secret["data"]["password"]).decode() == CANARY
