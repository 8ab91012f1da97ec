"""The stage report as data: what one stage of a pipeline did on one cluster, versioned, with a JSON round trip.

Owns `StageReport` and the plain dataclasses under it (`ReleaseReport`,
`ObjectReport`, `HookReport`, `FailureReport`, `RollbackReport`, `CiJob`),
their camelCase dict form (`to_dict` / `from_dict`), `ci_job_from_env` (a
pure mapping of GitLab / GitHub variables) and `masked` (the report with a
mask applied to every string, so writers never see an unmasked value).

Times are ISO 8601 UTC strings (`2026-12-04T23:45:53.120Z`); durations are
seconds. Must not: import any deploykit layer but errors, read the
environment or files itself.
"""

from __future__ import annotations

import dataclasses
import datetime
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from deploykit import errors

SCHEMA_VERSION = 1

SUCCESS, FAILED, ROLLED_BACK, CANCELLED, REFUSED = "success", "failed", "rolled-back", "cancelled", "refused"
STATUSES = (SUCCESS, FAILED, ROLLED_BACK, CANCELLED, REFUSED)
PHASES = ("decrypt", "render", "plan", "apply", "track", "rollback")

Mask = Callable[[str], str]


@dataclasses.dataclass
class CiJob:
    """Where the stage ran: commit, CI job and the person or bot who started it."""

    system: str = "local"  # gitlab, github, local
    commit: str = ""
    ref: str = ""
    job_id: str = ""
    job_url: str = ""
    pipeline_url: str = ""
    project: str = ""
    actor: str = ""


@dataclasses.dataclass
class FailureReport:
    """Why an object, a hook or a release failed, as precisely as tracking knew it."""

    reason: str
    object: str = ""
    pod: str = ""
    container: str = ""
    exit_code: int | None = None
    logs: list[str] = dataclasses.field(default_factory=list)  # the last log lines of the failing container
    seconds: float | None = None  # from apply to the failure verdict


@dataclasses.dataclass
class ObjectReport:
    """One applied object: when it was applied, how long it took to be ready, or why it failed."""

    kind: str
    name: str
    status: str  # ready, failed, applied (not tracked), unchanged, deleted
    namespace: str = ""
    applied_at: str | None = None
    seconds_to_ready: float | None = None
    failure: FailureReport | None = None

    @property
    def title(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclasses.dataclass
class HookReport:
    """One hook run (a Job or Pod at pre-/post-install/upgrade)."""

    event: str
    kind: str
    name: str
    ok: bool
    seconds: float = 0.0
    failure: FailureReport | None = None


@dataclasses.dataclass
class RollbackReport:
    """The automatic rollback after a failed deploy and how it ended."""

    to_revision: int | None
    ok: bool
    error: str = ""
    seconds: float | None = None


@dataclasses.dataclass
class ReleaseReport:
    """One release of the stage: revisions, plan counts, objects, hooks, failure, rollback, phase timings."""

    name: str
    namespace: str
    status: str  # deployed, unchanged, failed, rolled-back, rollback-failed, cancelled, refused
    revision_before: int | None = None
    revision_after: int | None = None
    plan: dict[str, int] = dataclasses.field(default_factory=dict)  # action (create, update, delete, ...) -> count
    objects: list[ObjectReport] = dataclasses.field(default_factory=list)
    hooks: list[HookReport] = dataclasses.field(default_factory=list)
    failure: FailureReport | None = None
    rollback: RollbackReport | None = None
    timings: dict[str, float] = dataclasses.field(default_factory=dict)  # phase (see PHASES) -> seconds


@dataclasses.dataclass
class StageReport:
    """What one stage did on one cluster; `report.json` is this, versioned by `schema_version`."""

    pipeline: str
    stage: str
    cluster: str
    status: str  # see STATUSES
    started_at: str
    finished_at: str
    artifact_digest: str = ""
    ci: CiJob = dataclasses.field(default_factory=CiJob)
    environment_url: str = ""
    releases: list[ReleaseReport] = dataclasses.field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    @property
    def ok(self) -> bool:
        return self.status == SUCCESS


def ci_job_from_env(env: Mapping[str, str]) -> CiJob:
    """The CI job the variables describe: GitLab CI, then GitHub Actions, else a local run (empty fields).

    Also who deployed a release revision (release.deployers): one reading of the CI variables for both."""
    if env.get("GITLAB_CI") or env.get("CI_JOB_URL"):
        return CiJob(
            system="gitlab", commit=env.get("CI_COMMIT_SHA", ""),
            ref=env.get("CI_COMMIT_REF_NAME", "") or env.get("CI_COMMIT_TAG", ""),
            job_id=env.get("CI_JOB_ID", ""), job_url=env.get("CI_JOB_URL", ""),
            pipeline_url=env.get("CI_PIPELINE_URL", ""), project=env.get("CI_PROJECT_PATH", ""),
            actor=env.get("GITLAB_USER_LOGIN", ""),
        )
    if env.get("GITHUB_ACTIONS") or env.get("GITHUB_RUN_ID"):
        server = (env.get("GITHUB_SERVER_URL") or "https://github.com").rstrip("/")
        repository, run_id = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_RUN_ID", "")
        run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else ""
        attempt = env.get("GITHUB_RUN_ATTEMPT", "")
        return CiJob(
            system="github", commit=env.get("GITHUB_SHA", ""), ref=env.get("GITHUB_REF_NAME", ""),
            job_id=f"{run_id}/{attempt}" if run_id and attempt else run_id,
            job_url=f"{run_url}/attempts/{attempt}" if run_url and attempt else run_url,
            pipeline_url=run_url, project=repository, actor=env.get("GITHUB_ACTOR", ""),
        )
    return CiJob(system="local", actor=env.get("USER", "") or env.get("USERNAME", ""))


def utc_stamp(moment: datetime.datetime) -> str:
    """`2026-12-04T23:45:53.120Z`: the form every time in a report takes."""
    moment = moment.astimezone(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_stamp(text: str) -> datetime.datetime:
    """The moment an ISO 8601 report time names (timezone-aware)."""
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise errors.ReportError(f"report time {text!r} is not ISO 8601",
                                 hint="write times as 2026-12-04T23:45:53.120Z") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def json_name(name: str) -> str:
    """The JSON key of a field name: `seconds_to_ready` -> `secondsToReady`."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def to_dict(report: Any) -> Any:
    """The camelCase dict (JSON-ready) of a report or any part of it."""
    if dataclasses.is_dataclass(report):
        return {json_name(field.name): to_dict(getattr(report, field.name)) for field in dataclasses.fields(report)}
    if isinstance(report, list):
        return [to_dict(item) for item in report]
    if isinstance(report, dict):
        return {key: to_dict(item) for key, item in report.items()}
    return report


def _build(hint: Any, data: Any, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if data is None:
            return None
        return _build(next(arg for arg in args if arg is not type(None)), data, where)
    if dataclasses.is_dataclass(hint):
        if not isinstance(data, dict):
            raise errors.ReportError(f"report field {where or '(top)'} must be an object, got {type(data).__name__}")
        hints = typing.get_type_hints(hint)
        known = {json_name(field.name): field.name for field in dataclasses.fields(hint)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise errors.ReportError(f"report field {where or '(top)'} has unknown keys {unknown}",
                                     hint="the report was written by a newer deploykit, or edited by hand")
        try:
            return hint(**{known[key]: _build(hints[known[key]], value, f"{where}.{key}".lstrip("."))
                           for key, value in data.items()})
        except TypeError as exc:  # a required field missing
            raise errors.ReportError(f"report field {where or '(top)'} is incomplete: {exc}") from exc
    if origin is list:
        if not isinstance(data, list):
            raise errors.ReportError(f"report field {where} must be a list")
        return [_build(args[0], item, f"{where}[{index}]") for index, item in enumerate(data)]
    if origin is dict:
        if not isinstance(data, dict):
            raise errors.ReportError(f"report field {where} must be an object")
        return {key: _build(args[1], value, f"{where}.{key}") for key, value in data.items()}
    if hint is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)
    if not isinstance(data, hint) or (hint is int and isinstance(data, bool)):
        raise errors.ReportError(f"report field {where} must be {hint.__name__}, got {type(data).__name__}")
    return data


def from_dict(data: Any) -> StageReport:
    """The report a camelCase dict holds; ReportError names the field that is wrong."""
    if not isinstance(data, dict):
        raise errors.ReportError("a report must be a JSON object")
    version = data.get("schemaVersion")
    if version != SCHEMA_VERSION:
        raise errors.ReportError(f"report schemaVersion {version!r} is not supported (this deploykit reads {SCHEMA_VERSION})",
                                 hint="read it with the deploykit version that wrote it")
    return _build(StageReport, data, "")


def masked(report: Any, mask: Mask) -> Any:
    """A copy of the report (or any part) with `mask` applied to every string, keys of dicts included."""
    if dataclasses.is_dataclass(report):
        return dataclasses.replace(report, **{field.name: masked(getattr(report, field.name), mask)
                                              for field in dataclasses.fields(report) if field.init})
    if isinstance(report, str):
        return mask(report)
    if isinstance(report, list):
        return [masked(item, mask) for item in report]
    if isinstance(report, dict):
        return {mask(key): masked(item, mask) for key, item in report.items()}
    return report
