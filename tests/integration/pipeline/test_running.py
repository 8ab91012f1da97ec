"""Running a stage: releases in `needs` order on an embedded simulator that keeps its state between runs."""

from __future__ import annotations

from pathlib import Path

from deploykit.pipeline import loading, running
from deploykit.pipeline.model import Cluster, Pipeline, Policy, Release, Stage
from tests.plugins.charts import write_chart


def _chart(root: Path, name: str, *, crash: bool = False) -> str:
    files = {
        "Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n",
        "templates/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{a: b}}\n",
    }
    if crash:
        files["templates/deploy.yaml"] = (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec:\n"
            "  selector: {matchLabels: {app: " + name + "}}\n  template:\n"
            "    metadata:\n      labels: {app: " + name + "}\n"
            "      annotations: {sim.deploykit.io/behavior: crashloop}\n"
            "    spec: {containers: [{name: app, image: registry.example.com/app:1}]}\n")
    write_chart(root / name, files)
    return name


def _pipeline(tmp_path: Path, *, crash: str = "") -> tuple[Pipeline, Stage]:
    releases = (
        Release("db", _chart(tmp_path, "db", crash=crash == "db"), "shop"),
        Release("api", _chart(tmp_path, "api"), "shop", needs=("db",)),
        Release("docs", _chart(tmp_path, "docs"), "shop"),
    )
    stage = Stage("staging", (Cluster("sim", sim_state="state/staging"),), policy=Policy(create_namespace=True, timeout="20s"))
    return Pipeline("demo", str(tmp_path / "demo.yaml"), releases, (stage,)), stage


def test_releases_deploy_in_needs_order_and_a_rerun_changes_nothing(tmp_path):
    """A release would deploy before the one it needs, or the simulator would forget the cluster between jobs."""
    pipeline, stage = _pipeline(tmp_path)
    lines: list[str] = []
    [outcome] = running.run_stage(pipeline, stage, base=tmp_path, say=lines.append)
    assert outcome.ok and [r.release for r in outcome.releases] == ["db", "docs", "api"]
    assert all(r.result.status == "deployed" for r in outcome.releases)
    [again] = running.run_stage(pipeline, stage, base=tmp_path, say=lines.append)
    assert [r.result.status for r in again.releases] == ["unchanged"] * 3


def test_a_failed_release_skips_the_releases_that_need_it(tmp_path):
    """A release would be deployed on top of a dependency that failed and was rolled back."""
    pipeline, stage = _pipeline(tmp_path, crash="db")
    [outcome] = running.run_stage(pipeline, stage, base=tmp_path, say=lambda line: None)
    by_name = {r.release: r for r in outcome.releases}
    assert by_name["db"].status == "failed" and "CrashLoopBackOff" in by_name["db"].error
    assert by_name["docs"].status == "succeeded"  # independent: same wave as db
    assert by_name["api"].status == "skipped"
    assert not outcome.ok


def test_independent_releases_deploy_at_the_same_time(tmp_path):
    """Releases that need nothing of each other would wait for one another, stretching every stage."""
    from datetime import datetime

    def slow_chart(name: str) -> str:
        write_chart(tmp_path / name, {
            "Chart.yaml": f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n",
            "templates/deploy.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + "}\nspec:\n"
                "  selector: {matchLabels: {app: " + name + "}}\n  template:\n"
                "    metadata:\n      labels: {app: " + name + "}\n"
                "      annotations: {sim.deploykit.io/behavior: 'ready-after:2s'}\n"
                "    spec: {containers: [{name: app, image: registry.example.com/app:1}]}\n"),
        })
        return name

    releases = (Release("left", slow_chart("left"), "shop"), Release("right", slow_chart("right"), "shop"))
    stage = Stage("staging", (Cluster("sim", sim_state="state/staging"),), policy=Policy(create_namespace=True))
    [outcome] = running.run_stage(Pipeline("demo", "demo.yaml", releases, (stage,)), stage, base=tmp_path,
                                  say=lambda line: None)
    assert outcome.ok, [r.error for r in outcome.releases]
    spans = []
    for release in outcome.releases:
        start = datetime.fromisoformat(release.result.applied_at.replace("Z", "+00:00")).timestamp()
        spans.append((start, start + release.result.timings["track"]))
    (left_start, left_end), (right_start, right_end) = spans
    assert left_start < right_end and right_start < left_end  # the two trackings overlap


def test_a_stage_with_two_clusters_deploys_to_both(tmp_path):
    """A stage's second cluster would be skipped, or get the first one's state."""
    releases = (Release("docs", _chart(tmp_path, "docs"), "shop"),)
    clusters = (Cluster("eu", sim_state="state/eu"), Cluster("us", sim_state="state/us"))
    stage = Stage("production", clusters, policy=Policy(create_namespace=True))
    pipeline = Pipeline("demo", "demo.yaml", releases, (stage,))
    lines: list[str] = []
    outcomes = running.run_stage(pipeline, stage, base=tmp_path, say=lines.append)
    assert [(o.cluster, o.ok) for o in outcomes] == [("eu", True), ("us", True)]
    assert (tmp_path / "state" / "eu").is_dir() and (tmp_path / "state" / "us").is_dir()
    assert any(line.startswith("[eu] ") for line in lines) and any(line.startswith("[us] ") for line in lines)
    only_us = running.run_stage(pipeline, stage, base=tmp_path, say=lines.append, clusters=("us",))
    assert [o.cluster for o in only_us] == ["us"] and only_us[0].releases[0].result.status == "unchanged"


def test_a_release_can_force_the_helm_template_engine(tmp_path):
    """A pipeline's `templateEngine: helm` would be ignored, rendering a Go-template chart as Jinja2 (and failing)."""
    write_chart(tmp_path / "plain", {"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n"
                                     "data:\n  text: '{{`{{ kept }}`}}'\n"})
    (tmp_path / "demo.yaml").write_text(
        "apiVersion: deploykit.io/v1\nkind: Pipeline\nmetadata: {name: demo}\nspec:\n  releases:\n"
        "    - {name: plain, chart: plain, namespace: shop, templateEngine: helm}\n"
        "  stages:\n    - name: staging\n      clusters: [{name: sim, sim: {state: state/staging}}]\n"
        "      policy: {createNamespace: true, timeout: 20s}\n")
    pipeline = loading.load(tmp_path / "demo.yaml")
    assert pipeline.releases[0].template_engine == "helm"
    [outcome] = running.run_stage(pipeline, pipeline.stages[0], base=tmp_path, say=lambda line: None)
    assert outcome.ok, [r.error for r in outcome.releases]


def test_a_release_with_skip_crds_leaves_the_charts_crds_alone(tmp_path):
    """A pipeline's `skipCrds: true` would be refused or ignored, so a stage would overwrite CRDs another team owns."""
    from deploykit.kube.resources import ObjectRef

    crd = ("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: gadgets.example.com}\n"
           "spec:\n  group: example.com\n  scope: Namespaced\n  names: {plural: gadgets, singular: gadget, kind: Gadget}\n"
           "  versions:\n    - name: v1\n      served: true\n      storage: true\n"
           "      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n")
    for name in ("skipping", "applying"):
        write_chart(tmp_path / name, {"crds/gadget.yaml": crd,
                                      "templates/cm.yaml": f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\n"})
    releases = "".join(f"    - {{name: {name}, chart: {name}, namespace: shop, skipCrds: {skip}}}\n"
                       for name, skip in (("skipping", "true"), ("applying", "false")))
    (tmp_path / "demo.yaml").write_text(
        "apiVersion: deploykit.io/v1\nkind: Pipeline\nmetadata: {name: demo}\nspec:\n  releases:\n" + releases +
        "  stages:\n" + "".join(f"    - name: {stage}\n      clusters: [{{name: sim, sim: {{state: state/{stage}}}}}]\n"
                                "      policy: {createNamespace: true, timeout: 20s}\n" for stage in ("one", "two")))
    pipeline = loading.load(tmp_path / "demo.yaml")
    assert [r.skip_crds for r in pipeline.releases] == [True, False]
    only_skipping = Pipeline("demo", pipeline.source, pipeline.releases[:1], pipeline.stages)
    for chosen, stage, expected in ((only_skipping, pipeline.stages[0], False), (pipeline, pipeline.stages[1], True)):
        [outcome] = running.run_stage(chosen, stage, base=tmp_path, say=lambda line: None)
        assert outcome.ok, [r.error for r in outcome.releases]
        with running.connected(stage.clusters[0], base=tmp_path) as kube:
            found = kube.get(ObjectRef("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, "gadgets.example.com"))
        assert (found is not None) is expected


def test_skip_crds_must_be_true_or_false(tmp_path):
    """`skipCrds: "yes"` would be read as true (or crash), instead of naming the field and what it takes."""
    from deploykit import errors

    write_chart(tmp_path / "plain", {"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n"})
    (tmp_path / "demo.yaml").write_text(
        "apiVersion: deploykit.io/v1\nkind: Pipeline\nmetadata: {name: demo}\nspec:\n  releases:\n"
        "    - {name: plain, chart: plain, namespace: shop, skipCrds: \"yes\"}\n"
        "  stages:\n    - name: staging\n      clusters: [{name: sim, sim: {state: state/staging}}]\n")
    try:
        loading.load(tmp_path / "demo.yaml")
    except errors.DeploykitError as exc:
        message = str(exc)
    else:
        raise AssertionError("a pipeline with skipCrds: \"yes\" was loaded")
    assert "demo.yaml:6" in message and "skipCrds" in message and "true or false" in message, message
