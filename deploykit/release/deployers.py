"""Who is deploying: a GitLab or GitHub CI job, or a person at a machine, read from environment variables.

Owns the mapping from CI variables (read by report.model.ci_job_from_env, as
run reports name the job) to `records.Deployer` and the readable
identity a run holds the release lock under (`host/pid/CI job URL`).
`from_env` and `lock_identity` are pure: they take the environment (and the
user, host, pid) as arguments; `current` reads them for this process.

Must not: read tokens or any variable other than the ones named here, or
contact the CI system.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Mapping

from deploykit.release.records import Deployer
from deploykit.report import model


def from_env(env: Mapping[str, str], *, user: str, host: str) -> Deployer:
    """The deployer the variables describe (the CI job as reports name it: GitLab CI, then GitHub Actions), with
    `user@host` as the actor outside CI or when the job names no user."""
    job = model.ci_job_from_env(env)
    actor = job.actor if job.system != "local" and job.actor else f"{user}@{host}"
    return Deployer(system=job.system, actor=actor, commit=job.commit, job_url=job.job_url,
                    pipeline_url=job.pipeline_url, project=job.project)


def lock_identity(deployer: Deployer, *, host: str, pid: int) -> str:
    """`host/pid`, plus `/<CI job URL>` in CI: what `kubectl get lease` shows as the lock's holder."""
    identity = f"{host}/{pid}"
    return f"{identity}/{deployer.job_url}" if deployer.job_url else identity


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container user without a passwd entry
        return "unknown"


def current() -> Deployer:
    """The deployer of this process, from os.environ, the login name and the host name."""
    return from_env(os.environ, user=_user(), host=socket.gethostname())


def current_lock_identity() -> str:
    """The lock identity of this process."""
    return lock_identity(current(), host=socket.gethostname(), pid=os.getpid())
