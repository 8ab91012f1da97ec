"""The secret canary across every command and every output: a decrypted value is found nowhere, in any form.

One project holds a sops-encrypted values file whose password is the canary.
Every command that reads it runs once, as a user runs it, against a simulator
that keeps its state on disk (`run_everything`, module-scoped): template,
lint, plan --out, upgrade --plan/--report (a success, a change, a crash rolled
back, a schema error about the secret), history/status/get -o json|yaml,
list, rollback, track -f, and pipeline validate/plan/run (two stages, signed
reports and evidence, the embedded simulator with its state folder) and
pipeline ci. Each test then searches one kind of output.

`secrets decrypt` is left out: printing the plaintext is what it is for (its
guard, `decrypt` without --stdout refusing, is tested in
tests/integration/secrets/test_canary.py).

A search finds the canary in any letter case, in base64 (of any alignment),
and inside gzip and base64 layers of JSON strings (release records).
The only place the canary may be is where the chart puts it on purpose: the
data of the app's own Secret, in the cluster (and so in the simulator's state
file); that object's data is dropped before the state file is searched.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from deploykit.sim import embedded
from tests.integration.release.conftest import decoded_texts
from tests.plugins.charts import write_chart
from tests.plugins.secrets import AGE_KEY_FILE, AGE_RECIPIENT, CANARY, EXAMPLE_KEYS, SOPS

# Every test reads what one module-scoped run produced: keep them on one xdist worker (--dist loadgroup); the
# first test's setup runs some 30 commands, well past the suite's 120 s per-test timeout on a loaded machine.
pytestmark = [pytest.mark.xdist_group("secret-canary"), pytest.mark.timeout(900)]

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    "values.yaml": "password: ''\ngreeting: hello\nbehavior: ''\n",
    "values.schema.json": '{"type": "object", "properties": {"replicas": {"type": "integer"}}}\n',
    "templates/secret.yaml": """
        apiVersion: v1
        kind: Secret
        metadata:
          name: app
        stringData:
          password: {{ Values.password | quote }}
    """,
    "templates/config.yaml": """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: app
        data:
          greeting: {{ Values.greeting | quote }}
    """,
    "templates/deployment.yaml": """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: app
        spec:
          replicas: {{ Values.replicas | default(1) }}
          selector:
            matchLabels: {app: app}
          template:
            metadata:
              labels: {app: app}
              annotations:
                checksum/secret: {{ Values.password | sha256sum }}
                sim.deploykit.io/behavior: {{ Values.behavior | quote }}
            spec:
              containers:
                - name: app
                  image: registry.example.com/app:1
                  env:
                    - name: PASSWORD
                      valueFrom: {secretKeyRef: {name: app, key: password}}
    """,
    "templates/NOTES.txt": "app is deployed; its password is in Secret app\n",
}
PIPELINE = """\
apiVersion: deploykit.io/v1
kind: Pipeline
metadata:
  name: canary
spec:
  publicKey: |
{public_key}
  releases:
    - name: app
      chart: chart
      namespace: app
      secrets: [secrets/app.yaml]
  stages:
    - name: staging
      clusters:
        - sim: {{state: "state/{{stage}}"}}
      policy: {{timeout: 60s, createNamespace: true}}
    - name: qa
      requires: [staging]
      clusters:
        - sim: {{state: "state/{{stage}}"}}
      policy: {{timeout: 60s, createNamespace: true}}
"""


def base64_forms() -> list[bytes]:
    """The canary (as written, upper, lower case) in base64 at each of 3 alignments: the part that does not
    depend on the bytes around it."""
    forms = []
    for variant in {CANARY, CANARY.upper(), CANARY.lower()}:
        for shift in range(3):
            encoded = base64.b64encode(b"x" * shift + variant.encode())
            forms.append(encoded[4:-4] if shift else encoded[:-4])
    return forms


BASE64_FORMS = base64_forms()


def leaks(data: bytes | str) -> bool:
    """Whether `data` (or its gzip content) holds the canary in any letter case, or in base64."""
    raw = data.encode() if isinstance(data, str) else data
    for blob in (raw, _gunzipped(raw)):
        if blob and (CANARY.lower().encode() in blob.lower() or any(form in blob for form in BASE64_FORMS)):
            return True
    return False


def _gunzipped(data: bytes) -> bytes | None:
    try:
        return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else None
    except (OSError, EOFError):
        return None


def files_holding_the_canary(root: Path, *, skip: Path | None = None) -> list[str]:
    """Every file under `root` (but not under `skip`) holding a form of the canary, JSON strings decoded too."""
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        if skip is not None and path.is_relative_to(skip):
            continue
        data = path.read_bytes()
        texts: list[str | bytes] = [data]
        try:
            texts += decoded_texts(json.loads(data))
        except (ValueError, UnicodeDecodeError):
            pass
        if any(leaks(text) for text in texts):
            found.append(str(path))
    return found


class Project:
    """The user's repository: chart, encrypted values, pipeline; every command's output kept by name."""

    def __init__(self, root: Path, handle: embedded.Handle) -> None:
        self.root = root
        self.handle = handle
        self.namespace = f"canary-{uuid.uuid4().hex[:6]}"
        self.outputs: dict[str, subprocess.CompletedProcess[str]] = {}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("SOPS_", "DEPLOYKIT_", "GITLAB_", "GITHUB_"))}
        self.env.pop("CI", None)
        for folder in ("home", "gnupg", "tmp", "cache"):
            (root.parent / folder).mkdir(mode=0o700)
        self.env.update(HOME=str(root.parent / "home"), GNUPGHOME=str(root.parent / "gnupg"), NO_COLOR="1",
                        TMPDIR=str(root.parent / "tmp"), DEPLOYKIT_CACHE_DIR=str(root.parent / "cache"),
                        SOPS_AGE_KEY_FILE=str(AGE_KEY_FILE), KUBECONFIG=str(handle.kubeconfig),
                        DEPLOYKIT_REPORT_KEY=(EXAMPLE_KEYS / "report-signing.ed25519.pem").read_text())

    def run(self, name: str, *args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "deploykit", *args], cwd=self.root, env=self.env,
                              capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
        self.outputs[name] = done
        assert done.returncode == expect, f"{name}: exit {done.returncode}\n{done.stdout}{done.stderr}"
        return done

    def upgrade(self, name: str, *extra: str, expect: int = 0) -> None:
        self.run(name, "upgrade", "app", "chart", "-n", self.namespace, "-f", "secrets/app.yaml", "--timeout", "60s",
                 *extra, expect=expect)

    def release(self, name: str, command: str, *extra: str, expect: int = 0) -> None:
        self.run(name, command, *extra, "-n", self.namespace, expect=expect)


def make_project(root: Path, handle: embedded.Handle) -> Project:
    project = Project(root, handle)
    write_chart(root / "chart", CHART)
    (root / ".sops.yaml").write_text(f"creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: {AGE_RECIPIENT}\n")
    (root / "secrets").mkdir()
    for name, text in (("app.yaml", f"password: {CANARY}\n"), ("bad.yaml", f"password: x\nreplicas: {CANARY}\n")):
        (root / "secrets" / name).write_text(text)
        subprocess.run([str(SOPS), "encrypt", "--in-place", f"secrets/{name}"], cwd=root, env=project.env, check=True,
                       capture_output=True)
    public_key = (EXAMPLE_KEYS / "report-signing.ed25519.pub.pem").read_text()
    (root / "pipeline.yaml").write_text(PIPELINE.format(public_key="".join(f"    {line}\n" for line in public_key.splitlines())))
    return project


def run_every_command(project: Project) -> None:
    ns = project.namespace
    project.run("template", "template", "app", "chart", "-f", "secrets/app.yaml", "-n", ns)
    project.run("template --output-dir", "template", "app", "chart", "-f", "secrets/app.yaml", "-n", ns,
                "--output-dir", "out/rendered")
    project.run("lint", "lint", "chart", "-f", "secrets/app.yaml")
    project.run("plan --out", "plan", "app", "chart", "-n", ns, "-f", "secrets/app.yaml", "--create-namespace",
                "--out", "out/plan.json")
    project.run("plan -o json", "plan", "app", "chart", "-n", ns, "-f", "secrets/app.yaml", "--create-namespace",
                "-o", "json")
    project.upgrade("upgrade --plan", "--install", "--create-namespace", "--plan", "out/plan.json",
                    "--report", "out/upgrade-1.json")
    project.upgrade("upgrade, a change", "--set", "greeting=changed", "--report", "out/upgrade-2.json")
    project.upgrade("upgrade, a crash rolled back", "--set", "behavior=crashloop", "--report", "out/upgrade-3.json",
                    expect=1)
    project.run("upgrade, the secret breaks the schema", "upgrade", "app", "chart", "-n", ns, "-f", "secrets/app.yaml",
                "-f", "secrets/bad.yaml", expect=2)
    for command in ("history", "status"):
        for fmt in ("json", "yaml", "table"):
            project.release(f"{command} -o {fmt}", command, "app", "-o", fmt)
    for what in ("values", "manifest", "notes"):
        project.release(f"get {what}", "get", what, "app")
    project.release("get values -o json, revision 1", "get", "values", "app", "-o", "json", "--revision", "1")
    project.run("list", "list", "-A")
    project.release("rollback", "rollback", "app", "1", "--report", "out/rollback.json")
    rendered = next((project.root / "out" / "rendered").rglob("deployment.yaml"))
    project.release("track -f", "track", "-f", str(rendered), "--timeout", "60s", "--report", "out/track.json")
    project.run("pipeline validate", "pipeline", "validate", "pipeline.yaml")
    project.run("pipeline plan", "pipeline", "plan", "pipeline.yaml", "--stage", "staging")
    for stage in ("staging", "qa"):
        project.run(f"pipeline run {stage}", "pipeline", "run", "pipeline.yaml", "--stage", stage,
                    "--report-dir", f"reports/{stage}", "--evidence", "reports")
    project.run("pipeline ci gitlab", "pipeline", "ci", "gitlab", "pipeline.yaml", "--out", "ci/.gitlab-ci.yml")
    project.run("pipeline ci github", "pipeline", "ci", "github", "pipeline.yaml", "--out", "ci/github")


def shm_files() -> dict[str, float]:
    """Files in /dev/shm with their modification times (other users' folders that cannot be read are skipped)."""
    found = {}
    for folder, _, names in os.walk("/dev/shm"):
        for name in names:
            try:
                found[os.path.join(folder, name)] = os.stat(os.path.join(folder, name)).st_mtime
            except OSError:
                continue
    return found


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Every command run once; what a search needs: the project, the state folder, the records, /dev/shm's new files."""
    base = tmp_path_factory.mktemp("canary")
    state = base / "sim-state"
    handle = embedded.start(speed=20.0, state_dir=str(state))
    try:
        project = make_project(base / "project", handle)
        shm_before = shm_files()
        run_every_command(project)
        records = records_of(handle, project.namespace)
        shm_new = [path for path, mtime in shm_files().items() if shm_before.get(path) != mtime]
    finally:
        handle.stop()  # writes the state folder one last time
    yield {"project": project, "state": state, "records": records, "shm": shm_new, "base": base}


def records_of(handle: embedded.Handle, namespace: str) -> list[dict[str, Any]]:
    url = f"{handle.url}/api/v1/namespaces/{namespace}/secrets?labelSelector=owner%3Ddeploykit"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())["items"]


def test_the_search_finds_every_form_of_the_canary():
    """A search blind to capitals, base64 or gzip would pass while the secret leaks in that form."""
    payload = base64.b64encode(gzip.compress(json.dumps({"v": CANARY}).encode()))  # a record's payload, stored as
    record = {"data": {"release": base64.b64encode(payload).decode()}}  # Secret data: base64 once more
    for text in (f"x {CANARY.upper()} y", base64.b64encode(f"ab{CANARY}".encode()).decode(),
                 gzip.compress(CANARY.title().encode())):
        assert leaks(text)
    assert any(leaks(text) for text in decoded_texts(record))
    assert not leaks("canary-9f3c1e7b-do-not-lea")


def test_every_command_ran(ran):
    """Without every command run, a leak in the one skipped would go unseen."""
    names = set(ran["project"].outputs)
    assert {"template", "lint", "plan --out", "upgrade --plan", "history -o json", "status -o yaml", "rollback",
            "track -f", "pipeline run qa", "pipeline ci github"} <= names
    assert len(ran["records"]) >= 4


def test_no_stdout_or_stderr_holds_the_canary(ran):
    """A command would print the decrypted password (or its base64, or in capitals) to the CI log."""
    leaked = [name for name, done in ran["project"].outputs.items() if leaks(done.stdout) or leaks(done.stderr)]
    assert leaked == []


def test_errors_of_failing_runs_never_quote_it(ran):
    """An error about the secret (a schema violation, a crash) would quote the decrypted value."""
    outputs = ran["project"].outputs
    failing = [outputs["upgrade, the secret breaks the schema"], outputs["upgrade, a crash rolled back"]]
    assert "replicas" in failing[0].stderr and "error:" in failing[1].stderr
    assert not any(leaks(done.stderr) or leaks(done.stdout) for done in failing)


def test_no_file_written_holds_the_canary(ran):
    """A report, plan file, rendered manifest, evidence, CI file, cache or temp file would hold the password."""
    project = ran["project"]
    for written in ("out/plan.json", "out/upgrade-3.json", "out/track.json", "reports/qa/report.json",
                    "ci/.gitlab-ci.yml", "state/staging"):
        assert (project.root / written).exists(), written
    # the simulator's state folder holds the app's Secret on purpose: searched without it by the next test
    assert files_holding_the_canary(project.root, skip=project.root / "state") == []
    for folder in ("tmp", "cache", "home"):
        assert files_holding_the_canary(ran["base"] / folder) == [], folder


def test_release_records_decoded_never_hold_it(ran):
    """A release record (base64 of gzip of JSON) would store the decrypted values or manifest."""
    records = ran["records"]
    assert records and all("data" in record for record in records)
    # the search reads what is stored: every record decodes down to its JSON (its manifest included)
    assert all(any('"schemaVersion"' in t and '"manifest"' in t for t in decoded_texts(record)) for record in records)
    assert [record["metadata"]["name"] for record in records if any(leaks(t) for t in decoded_texts(record))] == []


def _without_the_apps_secret_data(state: Any) -> Any:
    for collection in state.get("collections", []):
        for obj in collection.get("objects", []):
            labels = obj.get("metadata", {}).get("labels") or {}
            if obj.get("kind") == "Secret" and obj["metadata"]["name"] == "app" and labels.get("owner") != "deploykit":
                obj.pop("data", None)
    return state


def test_the_simulators_state_files_hold_it_only_in_the_apps_secret(ran):
    """The cluster's stored objects (last-applied annotations, records, events) would hold the password in clear."""
    state_files = [p for p in ran["state"].rglob("*") if p.is_file()]
    state_files += [p for p in (ran["project"].root / "state").rglob("*") if p.is_file()]
    assert state_files
    assert any(leaks(path.read_bytes()) for path in state_files), "the app's Secret should be in the stored state"
    holding = []
    for path in state_files:
        data = path.read_bytes()
        try:
            state = _without_the_apps_secret_data(json.loads(_gunzipped(data) or data))
        except ValueError:
            holding += [str(path)] if leaks(data) else []
            continue
        if any(leaks(text) for text in decoded_texts(state)):
            holding.append(str(path))
    assert holding == []


def test_temp_folders_and_dev_shm_hold_nothing_of_it(ran):
    """A decrypted file would be left (or briefly written) in TMPDIR or /dev/shm, as helm-secrets does."""
    assert files_holding_the_canary(ran["base"] / "tmp") == []
    leaked = [path for path in ran["shm"] if Path(path).is_file() and leaks(Path(path).read_bytes())]
    assert leaked == []
