"""A small app chart with a sops-encrypted password, and `dk`: the deploykit CLI against the simulated cluster."""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import os
import subprocess
import sys
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.charts import write_chart

CANARY = "canary-Pw-" + "7f3e9a1c5b"

APP_CHART = {
    "Chart.yaml": """
        apiVersion: v2
        name: app
        version: 1.0.0
        appVersion: "1.0"
    """,
    "values.yaml": """
        image: registry.example.com/app:1
        replicas: 2
        behavior: ""
        logs: ""
        extraConfig: false
        hookBehavior: ""
        password: ""
    """,
    "templates/config.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app
        data:
          greeting: hello
        {% if Values.extraConfig %}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app-extra
        data:
          extra: "yes"
        {% endif %}
    """,
    "templates/secret.yaml": """
        apiVersion: v1
        kind: Secret
        metadata:
          name: app
        stringData:
          password: {{ Values.password | quote }}
    """,
    "templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: app
          annotations:
            password-hint: {{ ("pw " ~ Values.password) | quote }}
            password-shout: {{ Values.password | upper | quote }}
        spec:
          replicas: {{ Values.replicas }}
          selector:
            matchLabels: {app: app}
          template:
            metadata:
              labels: {app: app}
              annotations:
                sim.deploykit.io/behavior: {{ Values.behavior | quote }}
                sim.deploykit.io/logs: {{ Values.logs | quote }}
            spec:
              containers:
                - name: app
                  image: {{ Values.image }}
                  env:
                    - name: PASSWORD
                      valueFrom: {secretKeyRef: {name: app, key: password}}
    """,
    "templates/hook.yaml": """
        {% if Values.hookBehavior %}
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: app-pre
          annotations:
            deploykit.io/hook: pre-upgrade
        spec:
          backoffLimit: 0
          template:
            metadata:
              annotations:
                sim.deploykit.io/behavior: {{ Values.hookBehavior | quote }}
                sim.deploykit.io/logs: "migration failed: relation users does not exist"
            spec:
              restartPolicy: Never
              containers:
                - name: migrate
                  image: registry.example.com/migrate:1
        {% endif %}
    """,
    "templates/NOTES.txt": "app is deployed; admin password hint: {{ Values.password[:3] }}...\n",
}


@dataclasses.dataclass
class Deploy:
    """The CLI against one namespace of the simulated cluster, with the app chart and its encrypted secrets."""

    kubeconfig: str
    namespace: str
    chart: Path
    secrets: Path
    env: dict[str, str]
    handle: Any
    outputs: list[str] = dataclasses.field(default_factory=list)

    def run(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "deploykit", *args, "--kubeconfig", self.kubeconfig],
            capture_output=True, text=True, timeout=timeout, env=self.env, stdin=subprocess.DEVNULL,
        )
        self.outputs += [done.stdout, done.stderr]
        return done

    def upgrade(self, *extra: str, release: str = "app") -> subprocess.CompletedProcess[str]:
        return self.run("upgrade", release, str(self.chart), "--install", "-n", self.namespace,
                        "-f", str(self.secrets), "--timeout", "30s", *extra)

    def kubectl(self, *args: str, stdin: str | None = None) -> str:
        kubectl = Path(sys.executable).parent / "kubectl"
        done = subprocess.run([str(kubectl), "--kubeconfig", self.kubeconfig, "-n", self.namespace, *args],
                              capture_output=True, text=True, timeout=30, check=True, input=stdin)
        return done.stdout

    def get(self, kind: str, name: str) -> dict | None:
        try:
            return json.loads(self.kubectl("get", kind, name, "-o", "json"))
        except subprocess.CalledProcessError:
            return None

    def records(self) -> list[dict]:
        return json.loads(self.kubectl("get", "secrets", "-l", "owner=deploykit", "-o", "json"))["items"]

    def history(self) -> list[dict]:
        done = self.run("history", "app", "-n", self.namespace, "-o", "json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


def decoded_texts(obj: Any) -> list[str]:
    """Every string in obj, plus every text reached from it by base64 and gzip decodings stacked in any order (a
    release record is base64 of base64 of gzip of JSON as read from the API): what a leak search reads."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str):
            found.append(node)
            found.extend(data.decode("utf-8", "replace") for data in _decodings(node.encode("utf-8", "replace")))

    walk(obj)
    return found


def _decodings(data: bytes, depth: int = 0) -> list[bytes]:
    """What base64 or gzip decoding of data yields, and what those yield in turn (up to 6 layers)."""
    if depth >= 6:
        return []
    found: list[bytes] = []
    for decoded in (_gunzip(data), _b64(data)):
        if decoded:
            found.append(decoded)
            found.extend(_decodings(decoded, depth + 1))
    return found


def _gunzip(data: bytes | None) -> bytes | None:
    try:
        return gzip.decompress(data) if data else None
    except (OSError, EOFError, zlib.error):
        return None


def _b64(data: bytes | None) -> bytes | None:
    try:
        return base64.b64decode(b"".join(data.split()), validate=True) if data else None
    except ValueError:
        return None


@pytest.fixture
def deploy(sim_cluster, sops_project, tmp_path: Path) -> Deploy:
    namespace = f"rel-{uuid.uuid4().hex[:8]}"
    chart = write_chart(tmp_path / "app", APP_CHART)
    secrets = sops_project.encrypt("secrets/app.yaml", f"password: {CANARY}\n")
    env = {**sops_project.env, "DEPLOYKIT_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("KUBECONFIG", None)
    return Deploy(kubeconfig=str(sim_cluster.kubeconfig), namespace=namespace, chart=chart, secrets=secrets, env=env,
                  handle=sim_cluster)


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CI", "GITLAB_CI", "GITHUB_ACTIONS", "CI_JOB_URL"):
        monkeypatch.delenv(name, raising=False)
    os.environ.pop("KUBECONFIG", None)
