"""The stage action: gates, then the deploy on every cluster, then a signed report per cluster.

    approval -> artifact digest -> evidence of required stages -> run (running.run_stage)
      -> report files per cluster (masked, signed with DEPLOYKIT_REPORT_KEY when set)

`run_stages` runs one stage or every stage in promotion order, stopping at
the first that fails or is refused. A refused stage also writes a report
(status refused) and raises GateError (exit 4); a failed one raises the
engine's error (exit 1, 2 or 5) after writing its report.

Must not: print (through `say`) or parse flags.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.pipeline import evidence, gates, reporting, running
from deploykit.release import cancelling, killpoints
from deploykit.pipeline.model import Pipeline, Stage
from deploykit.report import cilog, markdown, model, signing, writing

Say = Callable[[str], None]


@frozen
class RunOptions:
    base: Path  # the folder the pipeline's paths are relative to (the loader makes them relative to the working folder)
    report_dir: Path
    evidence: Path | None = None
    approved: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    env: Mapping[str, str] = dataclasses.field(default_factory=dict)
    mask: Callable[[str], str] = lambda text: text  # noqa: E731 - the run's redactor in practice


@dataclasses.dataclass
class StageRun:
    stage: str
    status: str
    reports: list[Path]
    exit_code: int = 0


def run_stages(pipeline: Pipeline, stages: list[Stage], options: RunOptions, *, say: Say) -> list[StageRun]:
    """Run the stages in order; the reports of one are the evidence of the next. Stops at the first failure."""
    runs = []
    for stage in stages:
        folder = options.report_dir / stage.name if len(stages) > 1 else options.report_dir
        evidence_dir = options.evidence or (options.report_dir if len(stages) > 1 else None)
        run = run_stage(pipeline, stage, dataclasses.replace(options, report_dir=folder, evidence=evidence_dir), say=say)
        runs.append(run)
        if run.exit_code:
            break
    return runs


def run_stage(pipeline: Pipeline, stage: Stage, options: RunOptions, *, say: Say) -> StageRun:
    key = signing.load_private_key(options.env) if options.env.get(signing.KEY_VARIABLE) else None
    if key is None:
        say(f"warning: {signing.KEY_VARIABLE} is not set: the reports of stage {stage.name} are not signed, "
            "and no stage can require them")
    built = evidence.artifact(pipeline, base=options.base)
    say(f"stage {stage.name}: artifact {built.digest}")
    try:
        gates.check_approval(stage, options.approved)
        gates.check_evidence(pipeline, stage, evidence=options.evidence, artifact_digest=built.digest)
    except errors.GateError as exc:
        at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        report = reporting.refused_report(pipeline=pipeline.name, stage=stage.name, cluster="-",
                                          artifact_digest=built.digest, reason=str(exc), env=options.env, at=at)
        writing.write_all(report, options.report_dir, mask=options.mask, signing_key=key)
        raise
    group = f"deploykit-{stage.name}"
    say(cilog.group_start(group, f"stage {stage.name}: deploy", env=options.env, now=int(time.time())))
    try:
        outcomes = running.run_stage(pipeline, stage, base=options.base, say=say, clusters=options.clusters)
    finally:
        if end := cilog.group_end(group, env=options.env, now=int(time.time())):
            say(end)
    paths: list[Path] = []
    worst = 0
    statuses = []
    killpoints.reached("report")
    for outcome in outcomes:
        report = reporting.stage_report(outcome, pipeline=pipeline.name, stage=stage.name,
                                        artifact_digest=built.digest, env=options.env)
        folder = options.report_dir if len(outcomes) == 1 else options.report_dir / outcome.cluster
        written = writing.write_all(report, folder, mask=options.mask, signing_key=key)
        paths += written
        statuses.append(report.status)
        summary = next(path for path in written if path.name == "summary.md")
        markdown.append_step_summary(summary.read_text(encoding="utf-8"), options.env)  # GitHub's job summary
        for release in report.releases:
            if release.failure is not None:
                said = "" if release.failure.reason.startswith(release.status) else f" {release.status}"  # not twice
                say(options.mask(cilog.error(f"{stage.name}/{outcome.cluster}: release {release.name}{said}",
                                             release.failure.reason, env=options.env)))
        worst = max([worst, *(r.exit_code for r in outcome.releases)])
    status = model.SUCCESS if all(s == model.SUCCESS for s in statuses) else next(s for s in statuses if s != model.SUCCESS)
    say(f"stage {stage.name}: {status}; reports in {options.report_dir}")
    if (signum := cancelling.received()) is not None:
        # A cancelled CI job exits as killed by the signal, also when every release had finished before it arrived.
        worst = max(worst, 128 + signum)
    return StageRun(stage=stage.name, status=status, reports=paths, exit_code=worst or (0 if status == model.SUCCESS else 1))
