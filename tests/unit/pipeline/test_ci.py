"""The generated CI files: jobs per stage and cluster, promotion order, evidence, approval, reports, cache."""

import dataclasses

import pytest
import yaml

from deploykit import errors
from deploykit.pipeline import ci, model
from tests.unit.pipeline.ci_pipelines import PIPELINE_FILE, chain_pipeline, fanout_pipeline


def gitlab(pipeline: model.Pipeline, **options) -> dict:
    return yaml.safe_load(ci.gitlab_ci(pipeline, pipeline_file=PIPELINE_FILE, **options))


def github(pipeline: model.Pipeline, **options) -> dict:
    return yaml.safe_load(ci.github_workflow(pipeline, pipeline_file=PIPELINE_FILE, **options))


def run_lines(steps: list[dict]) -> list[str]:
    return [step["run"] for step in steps if "run" in step]


def test_gitlab_has_one_job_per_stage_in_promotion_order():
    """A stage would be missing from the GitLab pipeline, or run before the stage it is promoted from."""
    config = gitlab(chain_pipeline())
    assert config["stages"] == ["a", "b", "c"]
    assert [config[f"deploy:{name}"]["stage"] for name in "abc"] == ["a", "b", "c"]
    assert config["deploy:a"]["needs"] == []
    assert config["deploy:b"]["needs"] == [{"job": "deploy:a", "artifacts": False}]


def test_gitlab_hands_over_artifacts_of_required_stages_only():
    """A stage would start without the signed report it must present, or download every earlier stage's files."""
    config = gitlab(chain_pipeline())
    assert config["deploy:c"]["needs"] == [{"job": "deploy:a", "artifacts": True}, {"job": "deploy:b", "artifacts": False}]


def test_github_jobs_need_the_previous_and_the_required_stages():
    """GitHub would run stages at once instead of in promotion order."""
    jobs = github(chain_pipeline())["jobs"]
    assert list(jobs) == ["deploy-a", "deploy-b", "deploy-c"]
    assert "needs" not in jobs["deploy-a"]
    assert jobs["deploy-b"]["needs"] == ["deploy-a"]
    assert jobs["deploy-c"]["needs"] == ["deploy-a", "deploy-b"]


def test_gitlab_fans_out_a_stage_with_several_clusters_as_a_matrix():
    """A two-cluster stage would deploy one cluster only, or both in one job instead of CI's parallel jobs."""
    job = gitlab(fanout_pipeline())["deploy:prod"]
    assert job["parallel"] == {"matrix": [{"CLUSTER": ["eu", "us"]}]}
    assert job["variables"]["REPORT_DIR"] == "reports/prod/$CLUSTER"
    assert '--cluster "$CLUSTER"' in job["script"][0]


def test_github_fans_out_a_stage_with_several_clusters_as_a_matrix():
    """A two-cluster stage would deploy one cluster only on GitHub."""
    job = github(fanout_pipeline())["jobs"]["deploy-prod"]
    assert job["strategy"] == {"fail-fast": False, "matrix": {"cluster": ["eu", "us"]}}
    deploy = next(step for step in job["steps"] if step.get("name") == "Deploy prod")
    assert deploy["env"] == {"CLUSTER": "${{ matrix.cluster }}"}
    assert '--cluster "$CLUSTER"' in deploy["run"]


def test_github_deploy_step_execs_deploykit_so_a_cancel_reaches_it():
    """A cancelled GitHub job would signal only the step's shell: deploykit would neither roll back nor report."""
    for job in github(fanout_pipeline())["jobs"].values():
        deploy = next(step for step in job["steps"] if step.get("name", "").startswith("Deploy "))
        assert deploy["run"].startswith("exec deploykit pipeline run ")


def test_single_cluster_stage_is_neither_a_matrix_nor_given_a_cluster():
    """A one-cluster stage would get a needless matrix or a --cluster the runner may reject."""
    assert "parallel" not in gitlab(fanout_pipeline())["deploy:dev"]
    job = github(fanout_pipeline())["jobs"]["deploy-dev"]
    assert "strategy" not in job
    assert not any("--cluster" in line for line in run_lines(job["steps"]))


def test_job_runs_the_runner_contract_command():
    """Jobs would call the runner with other flags than `pipeline run FILE --stage --report-dir --evidence`."""
    expected = 'deploykit pipeline run "$DEPLOYKIT_PIPELINE" --stage dev --report-dir "$REPORT_DIR" --evidence reports/'
    config = gitlab(fanout_pipeline())
    assert config["variables"]["DEPLOYKIT_PIPELINE"] == PIPELINE_FILE
    assert config["deploy:dev"]["script"] == [expected]
    assert config["deploy:dev"]["variables"]["REPORT_DIR"] == "reports/dev"
    workflow = github(fanout_pipeline())
    assert workflow["env"]["DEPLOYKIT_PIPELINE"] == PIPELINE_FILE
    assert "exec " + expected in run_lines(workflow["jobs"]["deploy-dev"]["steps"])


def test_gitlab_manual_stage_is_a_blocking_manual_job_that_approves():
    """Production would deploy without anyone approving it, or the runner would refuse the approved job."""
    job = gitlab(fanout_pipeline())["deploy:prod"]
    assert job["when"] == "manual"
    assert job["allow_failure"] is False
    assert "--approve prod" in job["script"][0]
    assert "when" not in gitlab(fanout_pipeline())["deploy:dev"]


def test_github_manual_stage_is_a_protected_environment_that_approves():
    """A manual stage would not be gated by the environment's reviewers on GitHub."""
    job = github(fanout_pipeline())["jobs"]["deploy-prod"]
    assert job["environment"] == {"name": "prod"}
    assert any("--approve prod" in line for line in run_lines(job["steps"]))
    not_manual = github(fanout_pipeline(approval=None))["jobs"]["deploy-prod"]
    assert not any("--approve" in line for line in run_lines(not_manual["steps"]))


def test_environment_url_is_set_when_known():
    """The environment page in GitLab / GitHub would not link to the deployed application."""
    urls = {"prod": "https://shop.example.com"}
    assert gitlab(fanout_pipeline(), environment_urls=urls)["deploy:prod"]["environment"] == {
        "name": "prod",
        "url": "https://shop.example.com",
    }
    assert github(fanout_pipeline(), environment_urls=urls)["jobs"]["deploy-prod"]["environment"]["url"] == urls["prod"]
    assert gitlab(fanout_pipeline(), environment_urls=urls)["deploy:dev"]["environment"] == {"name": "dev"}


def test_gitlab_declares_junit_and_dotenv_reports_even_on_failure():
    """GitLab would show no test report or deploy variables, or lose them when the deploy failed."""
    artifacts = gitlab(fanout_pipeline())["deploy:prod"]["artifacts"]
    assert artifacts["when"] == "always"
    assert artifacts["paths"] == ["reports/prod/"]
    assert artifacts["reports"] == {"junit": "reports/prod/*/junit.xml", "dotenv": "deploy.env"}
    assert gitlab(fanout_pipeline())["deploy:prod"]["after_script"] == ['cp "$REPORT_DIR/deploy.env" deploy.env || true']


def test_github_uploads_reports_and_writes_the_step_summary_even_on_failure():
    """GitHub would keep no JUnit report or summary of a failed deploy."""
    steps = github(fanout_pipeline())["jobs"]["deploy-prod"]["steps"]
    summary = next(step for step in steps if step.get("name") == "Summary")
    assert summary["if"] == "always()"
    assert '"$REPORT_DIR/summary.md" >> "$GITHUB_STEP_SUMMARY"' in summary["run"]
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert upload["with"]["name"] == "deploykit-reports-prod-${{ matrix.cluster }}"
    assert upload["with"]["path"] == "${{ env.REPORT_DIR }}"


def test_github_downloads_the_evidence_each_required_cluster_uploaded():
    """A stage would wait for a report artifact that no earlier job uploads under that name."""
    workflow = github(fanout_pipeline())
    uploaded = {
        step["with"]["name"].replace("${{ matrix.cluster }}", cluster)
        for job in workflow["jobs"].values()
        for cluster in job.get("strategy", {}).get("matrix", {}).get("cluster", [""])
        for step in job["steps"]
        if step.get("uses", "").startswith("actions/upload-artifact@")
    }
    three = dataclasses.replace(
        fanout_pipeline(),
        stages=(*fanout_pipeline().stages, model.Stage(name="audit", clusters=(model.Cluster(name="a"),), requires=("prod",))),
    )
    steps = github(three)["jobs"]["deploy-audit"]["steps"]
    downloads = [step["with"] for step in steps if step.get("uses", "").startswith("actions/download-artifact@")]
    assert downloads == [
        {"name": "deploykit-reports-prod-eu", "path": "reports/prod/eu"},
        {"name": "deploykit-reports-prod-us", "path": "reports/prod/us"},
    ]
    assert {"deploykit-reports-prod-eu", "deploykit-reports-prod-us", "deploykit-reports-dev"} == uploaded
    prod_steps = workflow["jobs"]["deploy-prod"]["steps"]
    assert [s["with"] for s in prod_steps if s.get("uses", "").startswith("actions/download-artifact@")] == [
        {"name": "deploykit-reports-dev", "path": "reports/dev"}
    ]


def test_github_jobs_get_the_keys_from_secrets():
    """The sops key or the report signing key would not reach the runner on GitHub."""
    env = github(fanout_pipeline())["jobs"]["deploy-dev"]["env"]
    for name in ("DEPLOYKIT_AGE_KEY", "DEPLOYKIT_PGP_KEY", "DEPLOYKIT_REPORT_KEY"):
        assert env[name] == "${{ secrets.%s }}" % name


def test_gitlab_keeps_the_template_cache_folder_between_jobs():
    """Every GitLab job would compile the chart's templates again."""
    config = gitlab(fanout_pipeline())
    assert config["variables"]["DEPLOYKIT_CACHE_DIR"] == "$CI_PROJECT_DIR/.cache/deploykit"
    assert config["default"]["cache"]["paths"] == [".cache/deploykit/"]


def test_github_caches_templates_keyed_on_the_chart_folders():
    """GitHub would compile templates in every job, or reuse a cache under a key that ignores the charts."""
    workflow = github(fanout_pipeline())
    assert workflow["env"]["DEPLOYKIT_CACHE_DIR"] == "${{ github.workspace }}/.cache/deploykit"
    cache = next(s for s in workflow["jobs"]["deploy-dev"]["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == "${{ env.DEPLOYKIT_CACHE_DIR }}"
    assert cache["with"]["key"] == "deploykit-templates-${{ hashFiles('charts/api/**', 'deploy/charts/db/**') }}"
    assert cache["with"]["restore-keys"] == "deploykit-templates-"


def test_github_cache_key_hashes_the_pipeline_folder_without_a_local_chart():
    """With only remote charts the cache key would be empty and never change."""
    steps = github(chain_pipeline())["jobs"]["deploy-a"]["steps"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["key"] == "deploykit-templates-${{ hashFiles('deploy/**') }}"


def test_both_systems_install_deploykit_as_told():
    """Jobs would run a deploykit other than the one asked for (the repository, or a pinned release)."""
    config = gitlab(fanout_pipeline(), install="deploykit==0.1.0")
    assert config["default"]["before_script"] == ["pip install --quiet deploykit==0.1.0"]
    steps = github(fanout_pipeline())["jobs"]["deploy-dev"]["steps"]
    assert "pip install --quiet ." in run_lines(steps)


@pytest.mark.parametrize("system", ci.SYSTEMS)
def test_same_pipeline_gives_the_same_bytes(system):
    """Regenerating a committed CI file would show a diff though nothing changed."""
    first = ci.generate(system, fanout_pipeline(), pipeline_file=PIPELINE_FILE)
    second = ci.generate(system, fanout_pipeline(), pipeline_file=PIPELINE_FILE)
    assert first.encode() == second.encode()


@pytest.mark.parametrize("system", ci.SYSTEMS)
def test_header_documents_the_runner_contract_and_variables(system):
    """A reader of the generated file would not know what each job runs or which variables to set."""
    header = "".join(line + "\n" for line in ci.generate(system, fanout_pipeline(), pipeline_file=PIPELINE_FILE).splitlines() if line.startswith("#"))
    assert "deploykit pipeline run PIPELINE --stage STAGE [--cluster CLUSTER]" in header
    assert "--report-dir reports/STAGE[/CLUSTER] --evidence reports/" in header
    for name in ("DEPLOYKIT_AGE_KEY", "DEPLOYKIT_PGP_KEY", "DEPLOYKIT_REPORT_KEY", "DEPLOYKIT_CACHE_DIR", "pip install ."):
        assert name in header


def test_unknown_system_is_a_usage_error():
    """`deploykit pipeline ci jenkins` would crash instead of naming the systems it knows."""
    with pytest.raises(errors.UsageError, match="choose one of: gitlab, github"):
        ci.generate("jenkins", fanout_pipeline(), pipeline_file=PIPELINE_FILE)


def test_stage_names_that_collide_as_github_job_ids_are_refused():
    """Two stages would silently become one GitHub job."""
    one = (model.Cluster(name="k"),)
    pipeline = dataclasses.replace(
        fanout_pipeline(), stages=(model.Stage(name="eu.prod", clusters=one), model.Stage(name="eu_prod", clusters=one), model.Stage(name="eu-prod", clusters=one))
    )
    with pytest.raises(errors.PipelineError, match="same GitHub job id"):
        ci.github_workflow(pipeline, pipeline_file=PIPELINE_FILE)
