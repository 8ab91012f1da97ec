"""The checks of a pipeline file that its JSON Schema cannot express.

Owns: where the body lives (`spec`, or the top level, not both), unique
names, `needs` (known releases, no cycles), `requires` (earlier stages only),
a cluster's kind (`sim`, or kubeconfig/context, not both), `{stage}` in paths,
files that must exist (charts, values, secrets, per stage), secrets files
that must be sops-encrypted, durations, and the ed25519 public key.

Each check is defensive: the schema may already have refused a part, and a
check skips what is not of the shape it expects, so every problem is found in
one run. Problems go to `document.report(path, message, hint=...)`.

Must not: decrypt anything (only sops metadata is read) or talk to a cluster.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from typing import Any

from deploykit import errors, yamlscalars
from deploykit.wording import did_you_mean

BODY_KEYS = ("publicKey", "releases", "stages")
STAGE_PLACEHOLDER = "{stage}"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# DER of an ed25519 SubjectPublicKeyInfo before its 32 key bytes (RFC 8410).
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
SECRETS_SCHEME = "secrets://"  # as -f takes it (release.inputs.values_paths), not imported: validate stays light
ENCRYPT_HINT = "encrypt it with `deploykit secrets encrypt --in-place FILE` (keys from the nearest .sops.yaml)"


def body_of(data: dict[str, Any]) -> tuple[dict[str, Any], tuple]:
    """The mapping holding releases, stages and publicKey (`spec`, or the top level) and its path."""
    if isinstance(data.get("spec"), dict):
        return data["spec"], ("spec",)
    return data, ()


def resolve(base: str, path: str) -> str:
    """A path of the pipeline file, relative to its folder, as seen from the current directory."""
    return path if os.path.isabs(path) else os.path.normpath(os.path.join(base, path))


def set_text(value: Any) -> str:
    """A `set` value as `--set` would take it: `true`, `3`, `1.5`, text."""
    return yamlscalars.key_text(value) or ""


def cluster_name(cluster: dict[str, Any]) -> str:
    """A cluster's name: its `name`, else its context, else `sim` or `default`."""
    return cluster.get("name") or cluster.get("context") or ("sim" if "sim" in cluster else "default")


def check(document: Any, *, base: str) -> None:
    """Report every semantic problem of a parsed pipeline file."""
    data = document.data
    if not isinstance(data, dict):
        return
    _check_body_place(document, data)
    body, prefix = body_of(data)
    releases = body.get("releases") if isinstance(body.get("releases"), list) else []
    stages = body.get("stages") if isinstance(body.get("stages"), list) else []
    release_names = _unique_names(document, releases, prefix + ("releases",), what="release")
    stage_names = _unique_names(document, stages, prefix + ("stages",), what="stage")
    for index, release in enumerate(releases):
        if isinstance(release, dict):
            _check_release(document, release, prefix + ("releases", index), names=release_names, base=base)
    _check_cycles(document, releases, prefix + ("releases",))
    for index, stage in enumerate(stages):
        if isinstance(stage, dict):
            _check_stage(document, stage, prefix + ("stages", index), names=stage_names, base=base)
    if isinstance(body.get("publicKey"), str):
        problem = ed25519_key_problem(body["publicKey"])
        if problem:
            document.report(prefix + ("publicKey",), problem,
                            hint="give the PEM public key (-----BEGIN PUBLIC KEY-----) of an ed25519 key pair")


def _check_body_place(document: Any, data: dict[str, Any]) -> None:
    if "spec" in data:
        for key in BODY_KEYS:
            if key in data:
                document.report((key,), "is also under spec: write releases, stages and publicKey under spec, "
                                "or at the top level, not both")
        return
    # A mistyped key (`stage:`) is reported as an unknown field with a did-you-mean; not again as missing.
    missing = [key for key in ("releases", "stages") if key not in data and not any(did_you_mean(k, [key]) for k in data)]
    if len(missing) == 2:
        document.report(("spec",), "is required (or releases and stages at the top level)")
    for key in missing if len(missing) == 1 else ():
        document.report((key,), "is required")


def _unique_names(document: Any, items: list, path: tuple, *, what: str) -> list[str]:
    names: list[str] = []
    first: dict[str, int] = {}
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name in first:
            document.report(path + (index, "name"), f"{what} {name!r} is defined twice "
                            f"(first at line {document.line(path + (first[name], 'name'))})")
        else:
            first[name] = index
            names.append(name)
    return names


def _check_release(document: Any, release: dict[str, Any], path: tuple, *, names: list[str], base: str) -> None:
    name = release.get("name")
    needs = release.get("needs") if isinstance(release.get("needs"), list) else []
    for index, needed in enumerate(needs):
        if not isinstance(needed, str):
            continue
        if needed == name:
            document.report(path + ("needs", index), f"release {name!r} cannot need itself")
        elif needed not in names:
            document.report(path + ("needs", index), _unknown("release", needed, names))
    chart = release.get("chart")
    if isinstance(chart, str) and _placeholders_ok(document, chart, path + ("chart",), stage_paths=False):
        _check_chart(document, chart, path + ("chart",), base=base)
    for key, secret in (("values", False), ("secrets", True)):
        files = release.get(key) if isinstance(release.get(key), list) else []
        for index, file in enumerate(files):
            if isinstance(file, str) and _placeholders_ok(document, file, path + (key, index), stage_paths=False):
                _check_file(document, file, file, path + (key, index), base=base, secret=secret)


def _check_cycles(document: Any, releases: list, path: tuple) -> None:
    graph = {
        release["name"]: [n for n in release.get("needs", []) if isinstance(n, str) and n != release["name"]]
        for release in releases
        if isinstance(release, dict) and isinstance(release.get("name"), str) and isinstance(release.get("needs", []), list)
    }
    index_of = {release.get("name"): i for i, release in reversed(list(enumerate(releases))) if isinstance(release, dict)}
    seen: set[frozenset[str]] = set()
    for start in graph:
        cycle = _cycle_from(start, graph)
        if cycle and frozenset(cycle) not in seen and cycle[0] == min(cycle, key=lambda n: index_of[n]):
            seen.add(frozenset(cycle))
            needs_index = graph[cycle[0]].index(cycle[1 % len(cycle)])
            document.report(path + (index_of[cycle[0]], "needs", needs_index),
                            "releases need each other in a cycle: " + " -> ".join(cycle + [cycle[0]]),
                            hint="remove one of these needs: a release can only wait for releases that do not wait for it")


def _cycle_from(start: str, graph: dict[str, list[str]]) -> list[str] | None:
    """The shortest cycle through `start`, as a list of names starting with it, or None."""
    parents: dict[str, str | None] = {start: None}
    frontier = [start]
    while frontier:
        following = []
        for name in frontier:
            for needed in graph.get(name, []):
                if needed == start:
                    chain = [name]
                    while parents[chain[-1]] is not None:
                        chain.append(parents[chain[-1]])  # type: ignore[arg-type]
                    return list(reversed(chain))
                if needed not in parents and needed in graph:
                    parents[needed] = name
                    following.append(needed)
        frontier = following
    return None


def _check_stage(document: Any, stage: dict[str, Any], path: tuple, *, names: list[str], base: str) -> None:
    name = stage.get("name") if isinstance(stage.get("name"), str) else None
    earlier = names[: names.index(name)] if name in names else names
    requires = stage.get("requires") if isinstance(stage.get("requires"), list) else []
    for index, required in enumerate(requires):
        if not isinstance(required, str):
            continue
        if required == name:
            document.report(path + ("requires", index), f"stage {name!r} cannot require itself")
        elif required not in names:
            document.report(path + ("requires", index), _unknown("stage", required, names))
        elif required not in earlier:
            document.report(path + ("requires", index), f"stage {required!r} comes after {name!r}: a stage may "
                            "require only earlier stages", hint="stages are listed in promotion order")
    clusters = stage.get("clusters") if isinstance(stage.get("clusters"), list) else []
    seen: dict[str, int] = {}
    for index, cluster in enumerate(clusters):
        if isinstance(cluster, dict):
            _check_cluster(document, cluster, path + ("clusters", index), seen=seen)
    for key, secret in (("values", False), ("secrets", True)):
        files = stage.get(key) if isinstance(stage.get(key), list) else []
        for index, file in enumerate(files):
            if isinstance(file, str) and name and _placeholders_ok(document, file, path + (key, index), stage_paths=True):
                _check_file(document, file, file.replace(STAGE_PLACEHOLDER, name), path + (key, index),
                            base=base, secret=secret)
    policy = stage.get("policy")
    if isinstance(policy, dict) and isinstance(policy.get("timeout"), (str, int, float)):
        _check_timeout(document, policy["timeout"], path + ("policy", "timeout"))


def _check_cluster(document: Any, cluster: dict[str, Any], path: tuple, *, seen: dict[str, int]) -> None:
    kube = [key for key in ("kubeconfig", "context") if key in cluster]
    if "sim" in cluster and kube:
        document.report(path + (kube[0],), "a cluster is either the embedded simulator (sim) or a kubeconfig "
                        "context, not both", hint="give this cluster its own entry under clusters")
    elif "sim" not in cluster and not kube:
        document.report(path, "names no cluster: give kubeconfig and/or context, or sim: {state: DIR}")
    for key in ("kubeconfig",):
        if isinstance(cluster.get(key), str):
            _placeholders_ok(document, cluster[key], path + (key,), stage_paths=True)
    sim = cluster.get("sim")
    if isinstance(sim, dict) and isinstance(sim.get("state"), str):
        _placeholders_ok(document, sim["state"], path + ("sim", "state"), stage_paths=True)
    name = cluster_name(cluster)
    if name in seen:
        document.report(path, f"cluster {name!r} is listed twice in this stage (first at line {seen[name]})",
                        hint="give each cluster of a stage its own name")
    else:
        seen[name] = document.line(path)


def _check_timeout(document: Any, value: Any, path: tuple) -> None:
    from deploykit.track import settings

    try:
        seconds = settings.parse_duration(str(value), what="timeout")
    except errors.UsageError:
        document.report(path, f"{value!r} is not a duration", hint="write it like 90s, 5m or 1h30m")
        return
    if seconds <= 0:
        document.report(path, f"{value!r} must be longer than 0s")


def _placeholders_ok(document: Any, text: str, path: tuple, *, stage_paths: bool) -> bool:
    ok = True
    for found in _PLACEHOLDER.findall(text):
        if found == STAGE_PLACEHOLDER and not stage_paths:
            document.report(path, f"{found} is known only in a stage's paths (values, secrets, kubeconfig, sim.state)",
                            hint="put per-stage files under the stage: stages[].values")
        elif found != STAGE_PLACEHOLDER:
            document.report(path, f"unknown placeholder {found}: only {STAGE_PLACEHOLDER} is replaced")
        else:
            continue
        ok = False
    return ok


def _check_chart(document: Any, chart: str, path: tuple, *, base: str) -> None:
    resolved = resolve(base, chart)
    if chart.endswith(".tgz"):
        if not os.path.isfile(resolved):
            document.report(path, f"chart archive {resolved} does not exist", hint=_relative_hint(base))
    elif not os.path.isdir(resolved):
        document.report(path, f"chart folder {resolved} does not exist", hint=_relative_hint(base))
    elif not os.path.isfile(os.path.join(resolved, "Chart.yaml")):
        document.report(path, f"{resolved} is not a chart: it has no Chart.yaml")


def _check_file(document: Any, written: str, path_text: str, path: tuple, *, base: str, secret: bool) -> None:
    if path_text.startswith(SECRETS_SCHEME):  # helm-secrets' form in a values list: a file that must be encrypted
        path_text, secret = path_text[len(SECRETS_SCHEME):], True
    resolved = resolve(base, path_text)
    what = "secrets file" if secret else "values file"
    if not os.path.isfile(resolved):
        document.report(path, f"{what} {resolved} does not exist" + (f" (from {written!r})" if written != path_text else ""),
                        hint=_relative_hint(base))
        return
    if secret:
        from pathlib import Path

        from deploykit.secrets import decrypting

        if not decrypting.is_sops_file(Path(resolved)):
            document.report(path, f"{resolved} is not sops-encrypted: a secrets file must be", hint=ENCRYPT_HINT)


def _relative_hint(base: str) -> str:
    return f"paths are relative to the pipeline file's folder ({base or '.'})"


def _unknown(what: str, name: str, names: list[str]) -> str:
    guess = did_you_mean(name, names)
    listed = ", ".join(names) or "none"
    return f"unknown {what} {name!r}" + (f" (did you mean {guess!r}?)" if guess else "") + f" ({what}s: {listed})"


def ed25519_key_problem(text: str) -> str | None:
    """Why `text` is not an ed25519 public key (PEM, or 32 raw bytes in base64), or None if it is one."""
    text = text.strip()
    if "PRIVATE KEY" in text:
        return "is a PRIVATE key: put the public key here and keep the private one out of the pipeline file"
    if text.startswith("-----"):
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if lines[0] != "-----BEGIN PUBLIC KEY-----" or lines[-1] != "-----END PUBLIC KEY-----":
            return "is not a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----)"
        der = _base64("".join(lines[1:-1]))
        if der is None or len(der) != len(_ED25519_SPKI_PREFIX) + 32 or not der.startswith(_ED25519_SPKI_PREFIX):
            return "is not an ed25519 public key"
        return None
    raw = _base64(text)
    if raw is None or len(raw) != 32:
        return "is not an ed25519 public key (PEM, or 32 bytes in base64)"
    return None


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
