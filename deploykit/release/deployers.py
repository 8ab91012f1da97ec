"""Who is deploying: a GitLab or GitHub CI job, or a person at a machine, read from environment variables.

Owns the mapping from CI variables to `records.Deployer` and the readable
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

GITHUB = "https://github.com"


def from_env(env: Mapping[str, str], *, user: str, host: str) -> Deployer:
    """The deployer the variables describe: GitLab CI, then GitHub Actions, else `user@host`."""
    if env.get("GITLAB_CI") or env.get("CI_JOB_URL"):
        return Deployer(
            system="gitlab", actor=env.get("GITLAB_USER_LOGIN", "") or f"{user}@{host}",
            commit=env.get("CI_COMMIT_SHA", ""), job_url=env.get("CI_JOB_URL", ""),
            pipeline_url=env.get("CI_PIPELINE_URL", ""), project=env.get("CI_PROJECT_PATH", ""),
        )
    if env.get("GITHUB_ACTIONS") or env.get("GITHUB_RUN_ID"):
        repository, run_id = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_RUN_ID", "")
        server = (env.get("GITHUB_SERVER_URL") or GITHUB).rstrip("/")
        run_url = f"{server}/{repository}/actions/runs/{run_id}" if repository and run_id else ""
        return Deployer(
            system="github", actor=env.get("GITHUB_ACTOR", "") or f"{user}@{host}",
            commit=env.get("GITHUB_SHA", ""), job_url=run_url, pipeline_url=run_url, project=repository,
        )
    return Deployer(system="local", actor=f"{user}@{host}")


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
