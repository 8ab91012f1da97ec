"""CI configuration generated from a pipeline: a GitLab CI file and a GitHub Actions workflow.

Owns the text of both files: one job per stage in promotion order (`needs`),
fanned out per cluster with the CI's own matrix when a stage has several,
each job running `deploykit pipeline run ... --stage NAME` with the signed
reports of the stages it requires handed over as artifacts, manual stages as
GitLab manual jobs / GitHub protected environments, reports declared to the
CI (JUnit, dotenv, step summary) and the compiled-template cache kept between
jobs. The same pipeline always gives the same bytes.

Must not: read files, run anything, or know how the runner deploys: the
command line in `_run_command` and the header comment are the contract.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Mapping
from typing import Any

import yaml

from deploykit import errors
from deploykit.pipeline import model

SYSTEMS = ("gitlab", "github")
DEFAULT_INSTALL = "."  # the repository holding the pipeline installs deploykit itself (see docs/ci.md)
PYTHON_VERSION = "3.12"
GITLAB_IMAGE = f"python:{PYTHON_VERSION}"  # not -slim: sops needs gpg for PGP keys
CACHE_FOLDER = ".cache/deploykit"
REPORTS = "reports"
ARTIFACT_PREFIX = "deploykit-reports"
KEY_VARIABLES = ("DEPLOYKIT_AGE_KEY", "DEPLOYKIT_PGP_KEY", "DEPLOYKIT_REPORT_KEY")
ACTIONS = {  # pinned majors: actionlint knows each one's inputs and runtime
    "checkout": "actions/checkout@v6",
    "setup-python": "actions/setup-python@v6",
    "cache": "actions/cache@v5",
    "upload": "actions/upload-artifact@v6",
    "download": "actions/download-artifact@v7",
}


def generate(system: str, pipeline: model.Pipeline, **options: Any) -> str:
    """The CI file for `system` ("gitlab" or "github"); options as for `gitlab_ci` / `github_workflow`."""
    if system == "gitlab":
        return gitlab_ci(pipeline, **options)
    if system == "github":
        return github_workflow(pipeline, **options)
    raise errors.UsageError(f"unknown CI system {system!r}", hint="choose one of: " + ", ".join(SYSTEMS))


def gitlab_ci(
    pipeline: model.Pipeline,
    *,
    pipeline_file: str,
    install: str = DEFAULT_INSTALL,
    environment_urls: Mapping[str, str] | None = None,
) -> str:
    """The text of a .gitlab-ci.yml running `pipeline` (read from `pipeline_file`, relative to the repo root).

    `install` is what jobs pip-install; `environment_urls` maps a stage to its environment's URL.
    """
    urls = dict(environment_urls or {})
    config: dict[str, Any] = {
        "workflow": {
            "rules": [
                {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"},
                {"if": '$CI_PIPELINE_SOURCE == "web"'},
            ]
        },
        "stages": [stage.name for stage in pipeline.stages],
        "variables": {
            "DEPLOYKIT_PIPELINE": pipeline_file,
            "DEPLOYKIT_CACHE_DIR": f"$CI_PROJECT_DIR/{CACHE_FOLDER}",
        },
        "default": {
            "image": GITLAB_IMAGE,
            "before_script": [f"pip install --quiet {shlex.quote(install)}"],
            "cache": {
                "key": "deploykit-templates-$CI_COMMIT_REF_SLUG",
                "fallback_keys": ["deploykit-templates-$CI_DEFAULT_BRANCH"],
                "paths": [f"{CACHE_FOLDER}/"],
            },
        },
    }
    for index, stage in enumerate(pipeline.stages):
        config[_gitlab_job(stage)] = _gitlab_stage_job(pipeline, index, url=urls.get(stage.name))
    return _header(pipeline, "gitlab", pipeline_file, install) + _dump(config)


def _gitlab_job(stage: model.Stage) -> str:
    return f"deploy:{stage.name}"


def _gitlab_stage_job(pipeline: model.Pipeline, index: int, *, url: str | None) -> dict[str, Any]:
    stage = pipeline.stages[index]
    fanned = len(stage.clusters) > 1
    report_dir = f"{REPORTS}/{stage.name}/$CLUSTER" if fanned else f"{REPORTS}/{stage.name}"
    job: dict[str, Any] = {"stage": stage.name}
    if fanned:
        job["parallel"] = {"matrix": [{"CLUSTER": [cluster.name for cluster in stage.clusters]}]}
    job["needs"] = [
        {"job": _gitlab_job(pipeline.stage(name)), "artifacts": name in stage.requires}
        for name in _needed_stages(pipeline, index)
    ]
    if stage.approval == model.MANUAL:
        job["when"] = "manual"
        job["allow_failure"] = False  # later stages wait for the approval instead of running past it
    job["environment"] = {"name": stage.name, **({"url": url} if url else {})}
    job["variables"] = {"REPORT_DIR": report_dir}
    job["script"] = [_run_command(stage, cluster='"$CLUSTER"' if fanned else None)]
    job["after_script"] = ['cp "$REPORT_DIR/deploy.env" deploy.env || true']
    junit = f"{REPORTS}/{stage.name}/*/junit.xml" if fanned else f"{report_dir}/junit.xml"
    job["artifacts"] = {
        "when": "always",
        "expire_in": "30 days",
        "paths": [f"{REPORTS}/{stage.name}/"],
        "reports": {"junit": junit, "dotenv": "deploy.env"},
    }
    return job


def github_workflow(
    pipeline: model.Pipeline,
    *,
    pipeline_file: str,
    install: str = DEFAULT_INSTALL,
    environment_urls: Mapping[str, str] | None = None,
) -> str:
    """The text of a GitHub Actions workflow running `pipeline` (read from `pipeline_file`, relative to the repo root)."""
    urls = dict(environment_urls or {})
    job_ids = _github_job_ids(pipeline)
    workflow: dict[str, Any] = {
        "name": f"deploykit {pipeline.name}",
        "on": {"push": {"branches": ["main"]}, "workflow_dispatch": {}},
        "permissions": {"contents": "read"},
        "concurrency": {"group": f"deploykit-{pipeline.name}", "cancel-in-progress": False},
        "env": {
            "DEPLOYKIT_PIPELINE": pipeline_file,
            "DEPLOYKIT_CACHE_DIR": "${{ github.workspace }}/" + CACHE_FOLDER,
        },
        "jobs": {
            job_ids[stage.name]: _github_stage_job(
                pipeline, index, job_ids=job_ids, pipeline_file=pipeline_file, install=install, url=urls.get(stage.name)
            )
            for index, stage in enumerate(pipeline.stages)
        },
    }
    return _header(pipeline, "github", pipeline_file, install) + _dump(workflow)


def _github_job_ids(pipeline: model.Pipeline) -> dict[str, str]:
    ids: dict[str, str] = {}
    for stage in pipeline.stages:
        job_id = "deploy-" + re.sub(r"[^A-Za-z0-9_-]", "-", stage.name)
        if job_id in ids.values():
            raise errors.PipelineError(
                f"{pipeline.source}: stage {stage.name!r} gives the same GitHub job id as another stage ({job_id})",
                hint="stage names that differ only in characters other than letters, digits, '-' and '_' cannot both be jobs",
            )
        ids[stage.name] = job_id
    return ids


def _github_stage_job(
    pipeline: model.Pipeline,
    index: int,
    *,
    job_ids: Mapping[str, str],
    pipeline_file: str,
    install: str,
    url: str | None,
) -> dict[str, Any]:
    stage = pipeline.stages[index]
    fanned = len(stage.clusters) > 1
    cluster = "${{ matrix.cluster }}" if fanned else None
    report_dir = f"{REPORTS}/{stage.name}/{cluster}" if fanned else f"{REPORTS}/{stage.name}"
    job: dict[str, Any] = {"name": f"deploy {stage.name}" + (f" ({cluster})" if fanned else "")}
    job["runs-on"] = "ubuntu-latest"
    needed = _needed_stages(pipeline, index)
    if needed:
        job["needs"] = [job_ids[name] for name in needed]
    # Required reviewers of a manual stage are set on this environment in the repository's settings.
    job["environment"] = {"name": stage.name, **({"url": url} if url else {})}
    if fanned:
        job["strategy"] = {"fail-fast": False, "matrix": {"cluster": [c.name for c in stage.clusters]}}
    job["env"] = {"REPORT_DIR": report_dir, **{name: "${{ secrets.%s }}" % name for name in KEY_VARIABLES}}
    steps: list[dict[str, Any]] = [
        {"uses": ACTIONS["checkout"]},
        {"uses": ACTIONS["setup-python"], "with": {"python-version": PYTHON_VERSION}},
        {"name": "Install deploykit", "run": f"pip install --quiet {shlex.quote(install)}"},
        {
            "name": "Compiled-template cache",
            "uses": ACTIONS["cache"],
            "with": {
                "path": "${{ env.DEPLOYKIT_CACHE_DIR }}",
                "key": "deploykit-templates-${{ hashFiles(%s) }}" % _hash_patterns(pipeline, pipeline_file),
                "restore-keys": "deploykit-templates-",
            },
        },
    ]
    for name in stage.requires:
        required = pipeline.stage(name)
        for each in required.clusters if len(required.clusters) > 1 else (None,):
            where = f"{name}/{each.name}" if each else name
            steps.append(
                {
                    "name": f"Evidence: report of {where}",
                    "uses": ACTIONS["download"],
                    "with": {"name": _artifact_name(name, each.name if each else None), "path": f"{REPORTS}/{where}"},
                }
            )
    # exec: GitHub signals the step's shell on a cancel; deploykit must be that process to roll back and report
    steps.append({"name": f"Deploy {stage.name}", "run": "exec " + _run_command(stage, cluster=cluster and '"$CLUSTER"')})
    if fanned:
        steps[-1]["env"] = {"CLUSTER": cluster}
    steps.append(
        {
            "name": "Summary",
            "if": "always()",
            "run": 'if [ -f "$REPORT_DIR/summary.md" ]; then cat "$REPORT_DIR/summary.md" >> "$GITHUB_STEP_SUMMARY"; fi',
        }
    )
    steps.append(
        {
            "name": "Reports (JUnit, JSON, signature)",
            "if": "always()",
            "uses": ACTIONS["upload"],
            "with": {
                "name": _artifact_name(stage.name, cluster),
                "path": "${{ env.REPORT_DIR }}",
                "if-no-files-found": "warn",
            },
        }
    )
    job["steps"] = steps
    return job


def _artifact_name(stage: str, cluster: str | None) -> str:
    return f"{ARTIFACT_PREFIX}-{stage}" + (f"-{cluster}" if cluster else "")


def _hash_patterns(pipeline: model.Pipeline, pipeline_file: str) -> str:
    """hashFiles() arguments: every chart folder inside the repository, else the pipeline file's folder.

    Chart paths are taken as paths from the repository root (the CLI makes
    them so); a chart elsewhere (absolute, outside, a URL) is not hashed.
    """
    folders = sorted(
        {
            posixpath.normpath(release.chart)
            for release in pipeline.releases
            if "://" not in release.chart
            and not posixpath.isabs(release.chart)
            and not posixpath.normpath(release.chart).startswith("..")
        }
    )
    patterns = [f"{folder}/**" for folder in folders] or [f"{posixpath.dirname(pipeline_file) or '.'}/**"]
    return ", ".join(f"'{pattern}'" for pattern in patterns)


def _needed_stages(pipeline: model.Pipeline, index: int) -> list[str]:
    """The stage just before (promotion order) and every required stage, in pipeline order."""
    stage = pipeline.stages[index]
    wanted = set(stage.requires) | ({pipeline.stages[index - 1].name} if index else set())
    return [earlier.name for earlier in pipeline.stages[:index] if earlier.name in wanted]


def _run_command(stage: model.Stage, *, cluster: str | None) -> str:
    """The runner's command line: the contract between these files and `deploykit pipeline run`."""
    words = ['deploykit pipeline run "$DEPLOYKIT_PIPELINE"', f"--stage {shlex.quote(stage.name)}"]
    if cluster:
        words.append(f"--cluster {cluster}")
    if stage.approval == model.MANUAL:
        words.append(f"--approve {shlex.quote(stage.name)}")
    words += ['--report-dir "$REPORT_DIR"', f"--evidence {REPORTS}/"]
    return " ".join(words)


def _header(pipeline: model.Pipeline, system: str, pipeline_file: str, install: str) -> str:
    order = " -> ".join(stage.name + (" (manual)" if stage.approval == model.MANUAL else "") for stage in pipeline.stages)
    if system == "gitlab":
        keys = "masked (and protected) CI/CD variables, scoped per environment if keys differ per stage"
        manual = "a manual stage is a manual job (`when: manual`); who may start it: protected environments"
        cache = "`cache:` keyed per branch (falling back to the default branch's)"
    else:
        keys = "repository or environment secrets (an environment secret wins for its stage)"
        manual = (
            "every stage is an `environment:`; for a manual stage, set required reviewers on that\n"
            "#   environment in the repository's Settings > Environments (the job waits for their approval)"
        )
        cache = "`actions/cache` keyed on the chart files"
    lines = [
        f"Generated by `deploykit pipeline ci {system} {pipeline_file}`: do not edit, generate it again.",
        f"Pipeline {pipeline.name!r}, stages in promotion order: {order}.",
        "",
        "Each job (one per stage, one per cluster when a stage has several) runs:",
        "  deploykit pipeline run PIPELINE --stage STAGE [--cluster CLUSTER] [--approve STAGE]",
        "      --report-dir reports/STAGE[/CLUSTER] --evidence reports/",
        "which deploys that stage (that cluster), writes report.json, junit.xml, summary.md, deploy.env,",
        "timeline.svg and report.sig (signed with DEPLOYKIT_REPORT_KEY) into --report-dir, and before",
        "deploying verifies the signed reports of the stages this one requires, found under --evidence",
        "where the earlier jobs' artifacts were unpacked (exit 4 when one is missing or failed).",
        "--approve is passed to manual stages only: starting the job is the approval.",
        f"deploykit is installed with `pip install {install}`.",
        "",
        f"Set as {keys}:",
        "  DEPLOYKIT_AGE_KEY (age identities) or DEPLOYKIT_PGP_KEY (armored PGP private key): decrypts the sops files",
        "  DEPLOYKIT_REPORT_KEY: the ed25519 private key that signs stage reports",
        f"Approval: {manual}.",
        f"Compiled templates are kept in $DEPLOYKIT_CACHE_DIR between jobs: {cache}.",
        "See docs/ci.md.",
    ]
    return "".join(f"# {line}\n" if line else "#\n" for line in lines) + "\n"


class _Dumper(yaml.SafeDumper):
    """Block style; multi-line strings as literal blocks; no anchors (each job reads on its own)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _represent_str)


def _dump(document: Mapping[str, Any]) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=200, allow_unicode=True)
