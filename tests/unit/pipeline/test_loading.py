"""Loading a valid pipeline file into the model: forms, paths, defaults, conversions."""

from __future__ import annotations

import os

import pytest

from deploykit import errors
from deploykit.pipeline import loading
from tests.unit.pipeline import samples

DEMO = samples.REPO / "pipelines" / "demo.yaml"


def test_demo_pipeline_is_staging_qa_production_on_the_simulator():
    """The shipped demo pipeline would not load, or promote in another order."""
    pipeline = loading.load(DEMO)
    assert [stage.name for stage in pipeline.stages] == ["staging", "qa", "production"]
    assert [stage.requires for stage in pipeline.stages] == [(), ("staging",), ("qa",)]
    assert pipeline.stage("production").approval == "manual"
    assert all(cluster.is_sim for stage in pipeline.stages for cluster in stage.clusters)


def test_demo_public_key_matches_the_example_private_key():
    """Demo reports signed with keys/example/ would not verify against the pipeline's key."""
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key((samples.REPO / "keys/example/report-signing.ed25519.pem").read_bytes(), None)
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert loading.load(DEMO).public_key == public_pem.decode().strip()


def test_paths_are_relative_to_the_pipeline_files_folder(tmp_path):
    """A pipeline run from another directory would look for its chart in the wrong place."""
    pipeline = loading.load(samples.project(tmp_path))
    web = pipeline.release("web")
    assert web.chart == str(tmp_path / "charts" / "app")
    assert web.values == (str(tmp_path / "values" / "common.yaml"),)
    assert pipeline.stage("qa").clusters[0].kubeconfig == str(tmp_path / "kube" / "config")


def test_stage_overlays_keep_their_stage_placeholder(tmp_path):
    """Per-stage values would all point at one stage's file."""
    staging = loading.load(samples.project(tmp_path)).stage("staging")
    assert staging.overlay(staging.values) == (str(tmp_path / "values" / "staging.yaml"),)


def test_sim_state_folder_is_per_stage(tmp_path):
    """Two stages on the simulator would share (and overwrite) one cluster state."""
    pipeline = loading.load(samples.project(tmp_path))
    assert pipeline.stage("production").clusters[0].sim_state == str(tmp_path / "work" / "production")


def test_set_values_are_text_as_set_takes_them(tmp_path):
    """`set: {replicas: 3}` would reach the chart as a Python repr instead of 3."""
    assert loading.load(samples.project(tmp_path)).release("web").set == {"replicas": "3", "debug": "true", "image.tag": "1.4"}


def test_policy_defaults_and_overrides(tmp_path):
    """A stage without policy would deploy non-atomically or with no timeout."""
    pipeline = loading.load(samples.project(tmp_path))
    assert (pipeline.stage("staging").policy.timeout, pipeline.stage("staging").policy.atomic) == ("5m", True)
    qa = pipeline.stage("qa").policy
    assert (qa.timeout, qa.atomic, qa.create_namespace) == ("90s", False, True)


def test_cluster_names_default_to_context_or_sim(tmp_path):
    """Reports of unnamed clusters would have no name to file them under."""
    pipeline = loading.load(samples.project(tmp_path))
    assert [c.name for c in pipeline.stage("qa").clusters] == ["east", "west"]
    assert pipeline.stage("staging").clusters[0].name == "sim"
    assert pipeline.stage("qa").clusters[1].context == "qa-west"


def test_releases_deploy_in_waves_of_needs(tmp_path):
    """web would deploy before the database it needs."""
    waves = loading.load(samples.project(tmp_path)).release_waves()
    assert [[release.name for release in wave] for wave in waves] == [["db"], ["web"]]


def test_top_level_form_reads_as_the_spec_form(tmp_path):
    """A pipeline written without `spec:` would load differently from the same one with it."""
    with_spec = loading.load(samples.project(tmp_path))
    flat = loading.load(samples.project(tmp_path, samples.FLAT, name="flat.yaml"))
    assert (flat.releases, flat.stages) == (with_spec.releases, with_spec.stages)


def test_pipeline_without_public_key_has_none(tmp_path):
    """A pipeline with no key would claim its reports are verified."""
    assert loading.load(samples.project(tmp_path)).public_key is None


def test_raw_base64_public_key_is_accepted(tmp_path):
    """A key given as 32 raw bytes in base64 (as `ssh`-less tools print it) would be refused."""
    text = samples.VALID.replace("spec:\n", "spec:\n  publicKey: VJtDiVhUFvW9FMLN/+poSs5Gsrgrn9MuHfdv+Y+R1FQ=\n")
    assert loading.load(samples.project(tmp_path, text)).public_key == "VJtDiVhUFvW9FMLN/+poSs5Gsrgrn9MuHfdv+Y+R1FQ="


def test_load_refuses_with_every_problem_in_one_error(tmp_path):
    """A user would fix one problem per run instead of seeing them all."""
    text = samples.VALID.replace("requires: [staging]", "requires: [stagign]").replace("approval: manual", "approval: auto")
    with pytest.raises(errors.PipelineError) as caught:
        loading.load(samples.project(tmp_path, text))
    assert caught.value.exit_code == 2
    assert "unknown stage 'stagign'" in str(caught.value) and "'auto' must be manual" in str(caught.value)


def test_missing_file_is_a_pipeline_error(tmp_path):
    """A wrong path would end in a traceback instead of a message."""
    with pytest.raises(errors.PipelineError, match="cannot read pipeline file"):
        loading.load(tmp_path / "nope.yaml")


def test_relative_source_gives_relative_paths(tmp_path, monkeypatch):
    """Messages and paths would turn absolute when the user gave a relative file."""
    samples.project(tmp_path)
    monkeypatch.chdir(tmp_path.parent)
    pipeline = loading.load(os.path.join(tmp_path.name, "shop.yaml"))
    assert pipeline.release("web").chart == os.path.join(tmp_path.name, "charts", "app")


def test_merge_keys_share_stage_defaults_and_own_keys_override(tmp_path):
    """Stages sharing defaults through `<<: *defaults` would be refused as duplicate keys, or lose their override."""
    text = samples.with_stages(
        "defaults: &defaults\n"
        "  clusters: [{sim: {state: work}}]\n"
        "  policy: {timeout: 2m}\n"
        "stages:\n"
        "  - name: a\n"
        "    <<: *defaults\n"
        "  - name: b\n"
        "    <<: *defaults\n"
        "    policy: {timeout: 7m}\n"
    ).replace("defaults: &defaults", "x-defaults: &defaults")
    pipeline = loading.load(samples.project(tmp_path, text))
    assert [stage.policy.timeout for stage in pipeline.stages] == ["2m", "7m"]
    assert pipeline.stage("b").clusters == pipeline.stage("a").clusters


def test_unknown_top_level_key_without_x_prefix_is_still_refused(tmp_path):
    """Allowing `x-` keys would let any top-level typo through."""
    text = samples.with_stages("defaults: &d\n  clusters: [{sim: {state: work}}]\nstages:\n  - name: a\n    <<: *d\n")
    _, found = loading.check(samples.project(tmp_path, text))
    assert [problem.field for problem in found] == ["defaults"]
