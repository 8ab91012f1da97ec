"""Who deployed, read from CI variables: GitLab, GitHub, else user@host."""

from deploykit.release import deployers
from deploykit.release.records import Deployer

GITLAB = {
    "GITLAB_CI": "true", "CI_JOB_URL": "https://gitlab.example.com/shop/web/-/jobs/812",
    "CI_COMMIT_SHA": "9f1c2e7", "GITLAB_USER_LOGIN": "alice",
    "CI_PIPELINE_URL": "https://gitlab.example.com/shop/web/-/pipelines/77", "CI_PROJECT_PATH": "shop/web",
}
GITHUB_ENV = {
    "GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "shop/web",
    "GITHUB_RUN_ID": "4242", "GITHUB_SHA": "0a1b2c3", "GITHUB_ACTOR": "bob",
}


def test_a_gitlab_job_is_named_by_its_job_url_commit_and_user():
    """A record written by GitLab CI would not say which job, commit or user deployed it."""
    assert deployers.from_env(GITLAB, user="runner", host="ci-7") == Deployer(
        system="gitlab", actor="alice", commit="9f1c2e7", job_url="https://gitlab.example.com/shop/web/-/jobs/812",
        pipeline_url="https://gitlab.example.com/shop/web/-/pipelines/77", project="shop/web")


def test_a_github_run_url_is_built_from_server_repository_and_run_id():
    """A record written by GitHub Actions would carry no link to the run."""
    deployer = deployers.from_env(GITHUB_ENV, user="runner", host="gh-1")
    assert deployer == Deployer(
        system="github", actor="bob", commit="0a1b2c3", job_url="https://github.com/shop/web/actions/runs/4242",
        pipeline_url="https://github.com/shop/web/actions/runs/4242", project="shop/web")


def test_github_enterprise_server_url_is_used():
    """A GitHub Enterprise run would link to github.com, where it does not exist."""
    env = {**GITHUB_ENV, "GITHUB_SERVER_URL": "https://git.corp.example/"}
    assert deployers.from_env(env, user="u", host="h").job_url == "https://git.corp.example/shop/web/actions/runs/4242"


def test_outside_ci_the_deployer_is_user_at_host():
    """A deploy from a laptop would record no one."""
    assert deployers.from_env({"HOME": "/home/carol"}, user="carol", host="laptop") == Deployer(
        system="local", actor="carol@laptop")


def test_a_ci_job_without_a_user_login_falls_back_to_user_at_host():
    """A GitLab job triggered without a user would record an empty actor."""
    env = {key: value for key, value in GITLAB.items() if key != "GITLAB_USER_LOGIN"}
    assert deployers.from_env(env, user="runner", host="ci-7").actor == "runner@ci-7"


def test_the_lock_identity_is_host_pid_and_job_url():
    """`kubectl get lease` would not tell which CI job holds a release lock."""
    gitlab = deployers.from_env(GITLAB, user="runner", host="ci-7")
    assert deployers.lock_identity(gitlab, host="ci-7", pid=31) == "ci-7/31/https://gitlab.example.com/shop/web/-/jobs/812"
    local = deployers.from_env({}, user="carol", host="laptop")
    assert deployers.lock_identity(local, host="laptop", pid=5) == "laptop/5"


def test_a_github_run_attempt_is_linked_as_the_run_report_links_it():
    """A record and the pipeline report of one rerun job would link different pages (the run, the attempt)."""
    from deploykit.report import model

    env = {**GITHUB_ENV, "GITHUB_RUN_ATTEMPT": "2"}
    deployer = deployers.from_env(env, user="u", host="h")
    assert deployer.job_url == "https://github.com/shop/web/actions/runs/4242/attempts/2"
    assert deployer.job_url == model.ci_job_from_env(env).job_url
