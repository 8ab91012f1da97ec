"""Promotion gates: a stage runs only with its approval and the signed, successful reports of the stages it requires.

For each required stage the evidence folder holds `<stage>/report.json` and
`report.sig` (or one such pair per cluster, `<stage>/<cluster>/`). Each
must: carry a signature that the pipeline's public key verifies, be a
report of this pipeline and of that stage, have status success, and name
the artifact digest of this run. The first check that fails refuses the
stage (errors.GateError, exit 4) saying which one, before anything is applied.

Must not: deploy, or trust a report whose signature did not verify.
"""

from __future__ import annotations

import json
from pathlib import Path

from deploykit import errors
from deploykit.pipeline.model import MANUAL, Pipeline, Stage
from deploykit.report import model, signing


def check_approval(stage: Stage, approved: tuple[str, ...]) -> None:
    if stage.approval == MANUAL and stage.name not in approved:
        raise errors.GateError(f"stage {stage.name} needs a manual approval",
                               hint=f"approve it: `deploykit pipeline run ... --approve {stage.name}` "
                                    "(in CI, start its manual job)")


def check_evidence(pipeline: Pipeline, stage: Stage, *, evidence: Path | None, artifact_digest: str) -> None:
    """Refuse the stage unless every stage it requires left a valid report for this artifact."""
    if not stage.requires:
        return
    if not pipeline.public_key:
        raise errors.GateError(f"stage {stage.name} requires {', '.join(stage.requires)}, but {pipeline.source} has "
                               "no public key to verify their reports", hint="add publicKey (ed25519) to the pipeline")
    if evidence is None:
        raise errors.GateError(f"stage {stage.name} requires the reports of {', '.join(stage.requires)}",
                               hint="pass --evidence DIR holding <stage>/report.json and report.sig")
    for required in stage.requires:
        folder = evidence / required
        reports = [folder / "report.json"] if (folder / "report.json").exists() else sorted(folder.glob("*/report.json"))
        if not reports:
            raise errors.GateError(f"stage {stage.name}: no report of stage {required} in {folder}",
                                   hint=f"run stage {required} first, and pass its report folder with --evidence")
        for path in reports:
            _check_one(pipeline, required, path, artifact_digest=artifact_digest)


def _check_one(pipeline: Pipeline, required: str, path: Path, *, artifact_digest: str) -> None:
    where = f"report {path}"
    signature = path.with_name(signing.SIGNATURE_FILE)
    if not signature.exists():
        raise errors.GateError(f"{where} is not signed (no {signing.SIGNATURE_FILE} next to it)",
                               hint="stages sign their reports when DEPLOYKIT_REPORT_KEY is set")
    data = path.read_bytes()
    try:
        signing.verify(data, signature.read_bytes(), pipeline.public_key)
    except errors.ReportError as exc:
        raise errors.GateError(f"{where}: signature check failed: {exc.message}", hint=exc.hint) from exc
    try:
        report = model.from_dict(json.loads(data))
    except (ValueError, errors.ReportError) as exc:
        raise errors.GateError(f"{where}: not a stage report ({exc})") from None
    checks = (
        (report.pipeline == pipeline.name, f"is from pipeline {report.pipeline!r}, not {pipeline.name!r}"),
        (report.stage == required, f"is the report of stage {report.stage!r}, not {required!r}"),
        (report.status == model.SUCCESS, f"says stage {required} ended {report.status}, not success"),
        (report.artifact_digest == artifact_digest,
         f"is for artifact {report.artifact_digest}, not this build's {artifact_digest}"),
    )
    for passed, why in checks:
        if not passed:
            raise errors.GateError(f"{where} {why}", hint=f"promote only what stage {required} deployed successfully")
