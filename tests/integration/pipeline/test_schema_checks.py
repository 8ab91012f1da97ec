"""A pipeline stage checks every release's objects against its cluster's version before writing anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploykit import errors
from deploykit.pipeline import running
from deploykit.pipeline.model import Cluster, Pipeline, Policy, Release, Stage
from tests.plugins.charts import write_chart

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shop}\ndata: {a: b}\n"
BAD = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: nightly}\nspec: {schedule: '@daily'}\n"


def _stage(tmp_path: Path, handle) -> tuple[Pipeline, Stage]:
    write_chart(tmp_path / "shop", {"templates/cm.yaml": GOOD, "templates/cron.yaml": BAD})
    stage = Stage("staging", (Cluster("sim", kubeconfig=str(handle.kubeconfig)),),
                  policy=Policy(create_namespace=True, timeout="20s"))
    return Pipeline("demo", str(tmp_path / "demo.yaml"), (Release("shop", "shop", "shop"),), (stage,)), stage


def test_pipeline_run_refuses_a_removed_api_and_writes_nothing(tmp_path, sim_cluster_factory):
    """A stage would apply half a release before the cluster refused an object of an API it no longer serves."""
    handle = sim_cluster_factory(prepare=lambda server: server.handler.version_info.update(gitVersion="v1.29.1"))
    pipeline, stage = _stage(tmp_path, handle)
    [outcome] = running.run_stage(pipeline, stage, base=tmp_path, say=lambda line: None)
    [release] = outcome.releases
    assert release.status == running.FAILED and release.exit_code == 2
    assert ("app/templates/cron.yaml:1: CronJob shop/nightly: apiVersion: batch/v1beta1 CronJob is no longer served "
            "since Kubernetes 1.25 (the target is v1.29.1): use batch/v1") in release.error
    assert handle.server.audit.writes(agent="deploykit") == []


def test_pipeline_plan_refuses_it_too(tmp_path, sim_cluster_factory):
    """`pipeline plan` would show a plan for a release the run then refuses."""
    handle = sim_cluster_factory()
    pipeline, stage = _stage(tmp_path, handle)
    with pytest.raises(errors.RenderError, match="use batch/v1") as refused:
        running.plan_stage(pipeline, stage, base=tmp_path)
    assert refused.value.exit_code == 2
    assert handle.server.audit.writes(agent="deploykit") == []
