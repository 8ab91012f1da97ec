"""A one-release pipeline project against a simulated cluster, and the checks every reliability test makes.

    project          a pipeline project (the release tests' app chart with a pre-upgrade hook Job, a
                     sops-encrypted password, values, pipeline file) whose one stage `dev` deploys release `app`
                     to a unique namespace of the session's simulated cluster through its kubeconfig;
                     `.stage()` runs `deploykit pipeline run` in a subprocess, `.start()` starts one,
                     `.upgrade()` runs `deploykit upgrade` with the same inputs
    Project.consistent()   the history is 1..n, nothing pending, exactly one deployed revision (the newest of
                     those that ran), every earlier one superseded or failed; no Lease left
    Project.plaintext_left()   files under the runs' TMPDIR or /dev/shm that hold the decrypted password

The password is unique per test, so a file holding it is this test's leak,
whatever other tests leave in the shared /dev/shm.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.release.conftest import APP_CHART
from tests.plugins.charts import write_chart

LEASE_SECONDS = "1"

PIPELINE = """
apiVersion: deploykit.io/v1
kind: Pipeline
metadata:
  name: reliability
spec:
  releases:
    - name: app
      chart: chart
      namespace: {namespace}
      values: [values/app.yaml]
      secrets: [secrets/app.yaml]
  stages:
    - name: dev
      clusters:
        - name: sim
          kubeconfig: {kubeconfig}
      policy: {{timeout: {timeout}, createNamespace: true}}
"""


@dataclasses.dataclass
class Project:
    root: Path
    namespace: str
    kubeconfig: str
    env: dict[str, str]
    password: str
    tmpdir: Path

    # -- inputs ---------------------------------------------------------------
    def set_values(self, *, tag: str, behavior: str = "", extra: bool = False, file: str = "app") -> None:
        """Rewrite values/<file>.yaml: build `tag` of the image (and of its pre-upgrade hook Job, which succeeds);
        `extra` adds the ConfigMap app-extra (an object the upgrade creates)."""
        values = {"image": f"registry.example.com/app:{tag}", "replicas": 1, "behavior": behavior,
                  "hookBehavior": "exit:0", "extraConfig": extra}
        (self.root / "values" / f"{file}.yaml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in values.items()))

    # -- runs -----------------------------------------------------------------
    def _command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "deploykit", *args]

    def stage_args(self, *extra: str) -> list[str]:
        return self._command("pipeline", "run", "pipeline.yaml", "--stage", "dev", "--report-dir", "reports", *extra)

    def upgrade_args(self, *extra: str) -> list[str]:
        return self._command("upgrade", "app", "chart", "--install", "--create-namespace", "-n", self.namespace,
                             "-f", "values/app.yaml", "-f", "secrets/app.yaml", "--kubeconfig", self.kubeconfig,
                             "--timeout", "30s", *extra)

    def run(self, args: list[str], *, env: dict[str, str] | None = None, timeout: float = 90
            ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=self.root, env={**self.env, **(env or {})}, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)

    def stage(self, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.run(self.stage_args(*extra), env=env)

    def upgrade(self, *extra: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.run(self.upgrade_args(*extra), env=env)

    def start(self, args: list[str], *, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(args, cwd=self.root, env={**self.env, **(env or {})}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)

    # -- the cluster, through kubectl as a user would look --------------------------------
    def kubectl(self, *args: str, namespace: str = "") -> subprocess.CompletedProcess[str]:
        kubectl = Path(sys.executable).parent / "kubectl"
        return subprocess.run([str(kubectl), "--kubeconfig", self.kubeconfig, "-n", namespace or self.namespace,
                               *args], capture_output=True, text=True, timeout=30)

    def get(self, kind: str, name: str, *, namespace: str = "") -> dict | None:
        done = self.kubectl("get", kind, name, "-o", "json", namespace=namespace)
        return json.loads(done.stdout) if done.returncode == 0 else None

    def history(self, release: str = "app", *, namespace: str = "") -> list[tuple[int, str]]:
        done = self.run(self._command("history", release, "-n", namespace or self.namespace, "--kubeconfig",
                                      self.kubeconfig, "-o", "json"))
        assert done.returncode == 0, done.stderr
        return [(row["revision"], row["status"]) for row in json.loads(done.stdout)]

    def running_tag(self, *, namespace: str = "") -> str | None:
        """The image tag of the Deployment's pods once the rollout is complete and ready, else None."""
        live = self.get("deployment", "app", namespace=namespace)
        if live is None:
            return None
        status, spec = live.get("status") or {}, live["spec"]
        if status.get("updatedReplicas") != spec["replicas"] or status.get("readyReplicas") != spec["replicas"]:
            return None
        return spec["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1]

    def consistent(self, release: str = "app", *, namespace: str = "") -> list[str]:
        """What is wrong with the release's history and lock (empty when nothing is)."""
        problems = []
        history = self.history(release, namespace=namespace)
        numbers = [number for number, _ in history]
        if numbers != list(range(1, len(numbers) + 1)):
            problems.append(f"revisions are not 1..n: {numbers}")
        statuses = dict(history)
        pending = [n for n, s in history if s.startswith("pending")]
        if pending:
            problems.append(f"pending revisions left: {pending}")
        deployed = [n for n, s in history if s == "deployed"]
        if len(deployed) != 1:
            problems.append(f"{len(deployed)} deployed revisions: {history}")
        elif any(statuses[n] not in ("superseded", "failed") for n in numbers if n < deployed[0]):
            problems.append(f"a revision before the deployed one is neither superseded nor failed: {history}")
        elif any(statuses[n] != "failed" for n in numbers if n > deployed[0]):
            problems.append(f"a revision after the deployed one is not failed: {history}")
        if self.get("lease", f"deploykit.release.{release}", namespace=namespace) is not None:
            problems.append(f"the release lock (Lease deploykit.release.{release}) was left behind")
        return problems

    def plaintext_left(self) -> list[str]:
        """Files under the runs' TMPDIR and /dev/shm holding the decrypted password."""
        found = []
        for top in (self.tmpdir, Path("/dev/shm")):
            for folder, _, names in os.walk(top):
                for name in names:
                    path = Path(folder) / name
                    try:
                        if self.password.encode() in path.read_bytes():
                            found.append(str(path))
                    except OSError:
                        continue
        return found


@pytest.fixture
def project(sim_cluster, sops_project, tmp_path: Path) -> Project:
    return new_project(sops_project, tmp_path, kubeconfig=str(sim_cluster.kubeconfig))


def new_project(sops_project: Any, tmp_path: Path, *, kubeconfig: str, timeout: str = "30s", name: str = ""
                ) -> Project:
    """A pipeline project (in a sub-folder `name` of the sops project) deploying to the cluster of `kubeconfig`."""
    namespace = f"rel-{uuid.uuid4().hex[:8]}"
    password = f"canary-{uuid.uuid4().hex}"
    root = sops_project.root / name
    write_chart(root / "chart", APP_CHART)
    sops_project.encrypt(str(Path(name) / "secrets" / "app.yaml"), f"password: {password}\n")
    (root / "values").mkdir()
    (root / "pipeline.yaml").write_text(PIPELINE.format(namespace=namespace, kubeconfig=kubeconfig, timeout=timeout))
    tmpdir = tmp_path / "tmp" / name
    tmpdir.mkdir(parents=True)
    env = {**sops_project.env, "DEPLOYKIT_CACHE_DIR": str(tmp_path / "cache" / name), "TMPDIR": str(tmpdir),
           "DEPLOYKIT_LOCK_LEASE_SECONDS": LEASE_SECONDS}
    for name in ("KUBECONFIG", "CI", "GITLAB_CI", "GITHUB_ACTIONS", "CI_JOB_URL", "DEPLOYKIT_REPORT_KEY",
                 "GITHUB_STEP_SUMMARY", "DEPLOYKIT_TEST_KILL_AT"):
        env.pop(name, None)
    made = Project(root=root, namespace=namespace, kubeconfig=kubeconfig, env=env,
                   password=password, tmpdir=tmpdir)
    made.set_values(tag="1")
    return made


def wait_for_line(process: subprocess.Popen[str], *texts: str, timeout: float = 30) -> list[str]:
    """Read the process's stdout until each of `texts` was in a line; the lines read."""
    seen: list[str] = []
    missing = list(texts)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        missing = [text for text in missing if text not in line]
        if not missing:
            return seen
    raise AssertionError(f"{missing!r} not printed; saw {seen}")


def report_of(project: Project) -> dict[str, Any]:
    return json.loads((project.root / "reports" / "report.json").read_text())
