"""Every problem of a pipeline file is named by file, line and field, with a did-you-mean where one helps."""

from __future__ import annotations

import pytest

from deploykit.pipeline import loading
from tests.unit.pipeline import samples

SIM = "clusters: [{sim: {state: work}}]"


def problems(tmp_path, text: str) -> list[str]:
    """`line: field: message` of each problem found in `text` written as a pipeline file."""
    pipeline, found = loading.check(samples.project(tmp_path, text))
    assert pipeline is None if found else pipeline is not None
    return [f"{problem.line}: {problem.field}: {problem.message}" for problem in found]


def stages(block: str) -> str:
    return samples.with_stages(block)


def test_problem_names_the_file_line_and_field(tmp_path):
    """A user could not find the line to fix."""
    text = samples.VALID.replace("requires: [staging, qa]", "requires: [staging, qq]")
    _, found = loading.check(samples.project(tmp_path, text))
    assert [str(problem) for problem in found] == [
        f"{tmp_path / 'shop.yaml'}:34: stages[2].requires[1]: unknown stage 'qq' (stages: staging, qa, production)"
    ]


def test_unknown_key_is_an_error_with_did_you_mean(tmp_path):
    """A mistyped `tiemout` would be silently ignored and the default used."""
    text = stages(f"stages:\n  - name: a\n    {SIM}\n    policy: {{tiemout: 2m}}\n")
    assert problems(tmp_path, text) == ["9: stages[0].policy.tiemout: unknown field (did you mean 'timeout'?)"]


def test_unknown_top_level_key_is_an_error(tmp_path):
    """A misspelt `stage:` would leave the pipeline without stages and no word why."""
    text = samples.FLAT.replace("stages:", "stage:")
    assert problems(tmp_path, text) == ["16: stage: unknown field (did you mean 'stages'?)"]


def test_missing_required_field_names_it(tmp_path):
    """A release without a namespace would deploy into `default`."""
    text = samples.with_stages(f"stages:\n  - name: a\n    {SIM}\n", releases="releases:\n  - name: web\n    chart: charts/app\n")
    assert problems(tmp_path, text) == ["6: releases[0].namespace: is required"]


def test_wrong_type_names_expected_and_found(tmp_path):
    """`atomic: "yes"` (a string) would be read as true without a word."""
    text = stages(f"stages:\n  - name: a\n    {SIM}\n    policy:\n      atomic: 'yes'\n")
    assert problems(tmp_path, text) == ["10: stages[0].policy.atomic: must be true or false, not a string"]


def test_bad_name_says_what_a_name_may_hold(tmp_path):
    """A stage name that cannot be a label would fail later, deep in a deploy."""
    text = stages(f"stages:\n  - name: Staging_1\n    {SIM}\n")
    assert problems(tmp_path, text)[0].startswith("7: stages[0].name: 'Staging_1' must be a DNS label")


def test_required_stage_must_come_earlier(tmp_path):
    """A stage could require a later one, and the pipeline could never start."""
    text = stages(f"stages:\n  - name: a\n    requires: [b]\n    {SIM}\n  - name: b\n    {SIM}\n")
    assert problems(tmp_path, text) == ["8: stages[0].requires[0]: stage 'b' comes after 'a': a stage may require only earlier stages"]


def test_stage_cannot_require_itself(tmp_path):
    """A stage requiring its own report could never run."""
    text = stages(f"stages:\n  - name: a\n    requires: [a]\n    {SIM}\n")
    assert problems(tmp_path, text) == ["8: stages[0].requires[0]: stage 'a' cannot require itself"]


def test_unknown_release_in_needs_has_did_you_mean(tmp_path):
    """A typo in `needs` would drop the ordering between releases."""
    releases = "releases:\n  - {name: web, chart: charts/app, namespace: shop, needs: [dbb]}\n  - {name: db, chart: charts/app, namespace: shop}\n"
    text = samples.with_stages(f"stages:\n  - name: a\n    {SIM}\n", releases=releases)
    assert problems(tmp_path, text) == ["6: releases[0].needs[0]: unknown release 'dbb' (did you mean 'db'?) (releases: web, db)"]


def test_release_cannot_need_itself(tmp_path):
    """A release waiting for itself would never deploy."""
    releases = "releases:\n  - {name: web, chart: charts/app, namespace: shop, needs: [web]}\n"
    text = samples.with_stages(f"stages:\n  - name: a\n    {SIM}\n", releases=releases)
    assert problems(tmp_path, text) == ["6: releases[0].needs[0]: release 'web' cannot need itself"]


def test_needs_cycle_is_refused_once_with_its_path(tmp_path):
    """Releases needing each other would hang the runner, or be reported once per member."""
    releases = (
        "releases:\n"
        "  - {name: a, chart: charts/app, namespace: shop, needs: [b]}\n"
        "  - {name: b, chart: charts/app, namespace: shop, needs: [a]}\n"
    )
    text = samples.with_stages(f"stages:\n  - name: s\n    {SIM}\n", releases=releases)
    assert problems(tmp_path, text) == ["6: releases[0].needs[0]: releases need each other in a cycle: a -> b -> a"]


def test_duplicate_release_names_are_refused(tmp_path):
    """Two releases of one name would overwrite each other's records."""
    releases = "releases:\n  - {name: web, chart: charts/app, namespace: shop}\n  - {name: web, chart: charts/app, namespace: shop}\n"
    text = samples.with_stages(f"stages:\n  - name: a\n    {SIM}\n", releases=releases)
    assert problems(tmp_path, text) == ["7: releases[1].name: release 'web' is defined twice (first at line 6)"]


def test_duplicate_yaml_key_is_refused(tmp_path):
    """A key written twice would silently keep the last value."""
    text = stages(f"stages:\n  - name: a\n    {SIM}\n    approval: manual\n    approval: manual\n")
    assert problems(tmp_path, text) == ["10: stages[0].approval: duplicate key (first at line 9)"]


def test_same_cluster_twice_in_a_stage_is_refused(tmp_path):
    """Two clusters of one name would write over each other's reports."""
    text = stages("stages:\n  - name: a\n    clusters:\n      - {context: east}\n      - {context: east}\n")
    assert problems(tmp_path, text) == ["10: stages[0].clusters[1]: cluster 'east' is listed twice in this stage (first at line 9)"]


def test_cluster_naming_nothing_is_refused(tmp_path):
    """An empty cluster entry would deploy to whatever the current kube context is."""
    text = stages("stages:\n  - name: a\n    clusters:\n      - {name: x}\n")
    assert problems(tmp_path, text) == ["9: stages[0].clusters[0]: names no cluster: give kubeconfig and/or context, or sim: {state: DIR}"]


def test_cluster_both_sim_and_context_is_refused(tmp_path):
    """A cluster that is both would deploy to one of them, unpredictably."""
    text = stages("stages:\n  - name: a\n    clusters:\n      - sim: {state: work}\n        context: east\n")
    assert problems(tmp_path, text)[0].startswith("10: stages[0].clusters[0].context: a cluster is either the embedded simulator")


def test_plaintext_secret_file_is_refused(tmp_path):
    """A plaintext file listed as secret would be committed and deployed unencrypted."""
    text = stages(f"stages:\n  - name: qa\n    {SIM}\n    secrets: ['secrets/{{stage}}.yaml']\n")
    path = samples.project(tmp_path, text)
    (tmp_path / "secrets" / "qa.yaml").write_text("password: hunter2\n")
    _, found = loading.check(path)
    assert [f"{p.line}: {p.field}: {p.message}" for p in found] == [
        f"9: stages[0].secrets[0]: {tmp_path / 'secrets' / 'qa.yaml'} is not sops-encrypted: a secrets file must be"
    ]


def test_plaintext_secret_error_never_shows_the_content(tmp_path):
    """A refused plaintext secret would be printed in the error."""
    text = stages(f"stages:\n  - name: qa\n    {SIM}\n    secrets: ['secrets/{{stage}}.yaml']\n")
    path = samples.project(tmp_path, text)
    (tmp_path / "secrets" / "qa.yaml").write_text("password: canary-5e1f9\n")
    _, found = loading.check(path)
    assert found and "canary-5e1f9" not in "\n".join(str(problem) for problem in found)


def test_per_stage_file_missing_names_the_stage_file(tmp_path):
    """A stage whose overlay is missing would fail only when it is reached, maybe in production."""
    text = stages(f"stages:\n  - name: qa\n    {SIM}\n  - name: uat\n    {SIM}\n    values: ['values/{{stage}}.yaml']\n")
    assert problems(tmp_path, text) == [f"11: stages[1].values[0]: values file {tmp_path / 'values' / 'uat.yaml'} does not exist (from 'values/{{stage}}.yaml')"]


def test_missing_chart_is_refused(tmp_path):
    """A pipeline naming a missing chart would pass validation and fail at deploy time."""
    releases = "releases:\n  - {name: web, chart: charts/gone, namespace: shop}\n"
    text = samples.with_stages(f"stages:\n  - name: a\n    {SIM}\n", releases=releases)
    assert problems(tmp_path, text) == [f"6: releases[0].chart: chart folder {tmp_path / 'charts' / 'gone'} does not exist"]


def test_unknown_placeholder_is_refused(tmp_path):
    """`{env}` would be looked up literally as a file name."""
    text = stages(f"stages:\n  - name: a\n    {SIM}\n    values: ['values/{{env}}.yaml']\n")
    assert problems(tmp_path, text) == ["9: stages[0].values[0]: unknown placeholder {env}: only {stage} is replaced"]


def test_stage_placeholder_in_a_release_path_is_refused(tmp_path):
    """`{stage}` in a release's values has no stage to be replaced by."""
    releases = "releases:\n  - {name: web, chart: charts/app, namespace: shop, values: ['values/{stage}.yaml']}\n"
    text = samples.with_stages(f"stages:\n  - name: a\n    {SIM}\n", releases=releases)
    assert problems(tmp_path, text)[0].startswith("6: releases[0].values[0]: {stage} is known only in a stage's paths")


@pytest.mark.parametrize("timeout", ["soon", "0s"])
def test_bad_timeout_is_refused(tmp_path, timeout):
    """A timeout that is no duration (or zero) would fail every deploy of the stage."""
    text = stages(f"stages:\n  - name: a\n    {SIM}\n    policy: {{timeout: {timeout}}}\n")
    assert problems(tmp_path, text)[0].startswith(f"9: stages[0].policy.timeout: '{timeout}'")


def test_approval_other_than_manual_is_refused_with_did_you_mean(tmp_path):
    """A misspelt `approval: manaul` would let production deploy without approval."""
    text = stages(f"stages:\n  - name: a\n    {SIM}\n    approval: manaul\n")
    assert problems(tmp_path, text) == ["9: stages[0].approval: 'manaul' must be manual (or left out) (did you mean 'manual'?)"]


@pytest.mark.parametrize("key, message", [
    ("-----BEGIN PRIVATE KEY-----\n  MC4CAQAwBQYDK2VwBCIEIBkD91Xapyzo7tHw/j6fdHNdA/xfDvEistGJEMAzc9An\n  -----END PRIVATE KEY-----", "is a PRIVATE key"),
    ("-----BEGIN PUBLIC KEY-----\n  MCowBQYDK2VwAyEAVJtDiVhUFvW9FMLN\n  -----END PUBLIC KEY-----", "is not an ed25519 public key"),
    ("c2hvcnQ=", "is not an ed25519 public key"),
])
def test_public_key_must_be_ed25519_public(tmp_path, key, message):
    """A private key (leaked into the file) or a broken key would be accepted, and no report would verify."""
    text = samples.HEADER + f"publicKey: |\n  {key}\n" + samples.BODY
    assert problems(tmp_path, text)[0].startswith(f"5: publicKey: {message}")


def test_body_both_under_spec_and_top_level_is_refused(tmp_path):
    """Stages under spec and at the top would be merged, or one set silently dropped."""
    text = samples.VALID + "stages:\n  - {name: x, clusters: [{context: c}]}\n"
    assert problems(tmp_path, text) == ["38: stages: is also under spec: write releases, stages and publicKey under spec, or at the top level, not both"]


def test_pipeline_without_spec_or_body_is_refused(tmp_path):
    """A file with only metadata would validate as a pipeline that does nothing."""
    assert problems(tmp_path, samples.HEADER) == ["1: spec: is required (or releases and stages at the top level)"]


def test_wrong_api_version_is_refused(tmp_path):
    """A file of another format version would be read with the wrong meaning."""
    text = samples.VALID.replace("deploykit.io/v1", "deploykit.io/v2")
    assert problems(tmp_path, text) == ["1: apiVersion: 'deploykit.io/v2' must be deploykit.io/v1"]


def test_yaml_syntax_error_names_the_line(tmp_path):
    """A broken YAML file would end in a parser traceback."""
    text = stages(f"stages:\n  - name: a\n    {SIM}\n    values: [values/{{stage}}.yaml]\n")
    assert problems(tmp_path, text) == ["9: : not valid YAML: did not find expected ',' or ']'"]


@pytest.mark.parametrize("text, message", [("", "the file is empty"), ("- a\n", "a pipeline file must be a mapping, not a list")])
def test_file_that_is_no_mapping_is_refused(tmp_path, text, message):
    """An empty or list file would crash the loader."""
    assert problems(tmp_path, text) == [f"1: : {message}"]


def test_problems_are_listed_in_line_order(tmp_path):
    """Problems would be listed by kind, so the user jumps back and forth in the file."""
    text = samples.VALID.replace("approval: manual", "approval: auto").replace("requires: [staging]", "requires: [x]")
    lines = [int(problem.split(":")[0]) for problem in problems(tmp_path, text)]
    assert len(lines) == 2 and lines == sorted(lines)


def test_alias_holding_itself_is_refused_with_its_line(tmp_path):
    """A self-referencing alias would crash the loader with a RecursionError."""
    text = samples.HEADER.replace("  name: shop\n", "  name: shop\n  description: &a [*a]\n") + samples.BODY
    assert problems(tmp_path, text)[0].startswith("5: : not valid YAML: nested deeper than 50 levels")


def test_alias_bomb_is_refused(tmp_path):
    """A few lines of aliases expanding to billions of nodes would hang validate."""
    previous, bomb = "a", "x-a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for level in range(1, 8):
        bomb += f"x-b{level}: &b{level} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
        previous = f"b{level}"
    assert problems(tmp_path, samples.FLAT + bomb)[0].startswith("1: : not valid YAML: more than 100000 nodes")


def test_missing_chart_archive_is_refused(tmp_path):
    """A pipeline naming a .tgz that was never packaged would pass validation."""
    releases = "releases:\n  - {name: web, chart: dist/web-1.0.0.tgz, namespace: shop}\n"
    text = samples.with_stages(f"stages:\n  - name: a\n    {SIM}\n", releases=releases)
    assert problems(tmp_path, text) == [f"6: releases[0].chart: chart archive {tmp_path / 'dist' / 'web-1.0.0.tgz'} does not exist"]


def test_chart_folder_without_chart_yaml_is_refused(tmp_path):
    """A folder that is not a chart (a typo one level up) would pass validation."""
    releases = "releases:\n  - {name: web, chart: charts, namespace: shop}\n"
    text = samples.with_stages(f"stages:\n  - name: a\n    {SIM}\n", releases=releases)
    assert problems(tmp_path, text) == [f"6: releases[0].chart: {tmp_path / 'charts'} is not a chart: it has no Chart.yaml"]
