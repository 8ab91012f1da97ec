"""`deploykit track`: wait for objects to become ready, failing at the first fatal signal.

Binds flags into `TrackOptions`, reads the objects to track (manifests from
`-f`, or KIND/NAME arguments), connects to the cluster, runs the tracker and
exits 0 when everything is ready, 1 when something failed (the failing
object, pod, container, reason, exit code and last log lines are printed).
With --report FILE the per-resource results are written as JSON.

Must not hold tracking logic; kubernetes and YAML are imported lazily.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Optional

import typer

from deploykit import errors
from deploykit.cli import apps

app = apps.command_app()

# KIND/NAME arguments: the names kubectl users type, mapped to (apiVersion, Kind).
KINDS = {
    **dict.fromkeys(("deployment", "deployments", "deploy"), ("apps/v1", "Deployment")),
    **dict.fromkeys(("statefulset", "statefulsets", "sts"), ("apps/v1", "StatefulSet")),
    **dict.fromkeys(("daemonset", "daemonsets", "ds"), ("apps/v1", "DaemonSet")),
    **dict.fromkeys(("replicaset", "replicasets", "rs"), ("apps/v1", "ReplicaSet")),
    **dict.fromkeys(("job", "jobs"), ("batch/v1", "Job")),
    **dict.fromkeys(("pod", "pods", "po"), ("v1", "Pod")),
    **dict.fromkeys(("service", "services", "svc"), ("v1", "Service")),
    **dict.fromkeys(("persistentvolumeclaim", "persistentvolumeclaims", "pvc"), ("v1", "PersistentVolumeClaim")),
    **dict.fromkeys(("customresourcedefinition", "customresourcedefinitions", "crd", "crds"),
                    ("apiextensions.k8s.io/v1", "CustomResourceDefinition")),
}


def _from_argument(text: str) -> dict[str, Any]:
    """The object a KIND/NAME argument names; its namespace is filled in once the cluster's default is known.

    KIND is written as kubectl accepts it: `deployment`, `deployments`, `deploy`, and qualified by its group
    (`deployment.apps`, as `kubectl get -o name` prints it) or by version and group (`deployments.v1.apps`).
    """
    kind, _, name = text.partition("/")
    resource, _, qualifier = kind.lower().partition(".")
    known = KINDS.get(resource)
    if not name or known is None or (qualifier and qualifier not in _qualifiers(known[0])):
        kinds = ", ".join(sorted({kind_name.lower() for _, kind_name in KINDS.values()}))
        raise errors.UsageError(f"cannot track {text!r}: write KIND/NAME with KIND one of {kinds}",
                                hint="for example deployment/web, or deployment.apps/web "
                                     "as `kubectl get -o name` prints it")
    api_version, kind_name = known
    return {"apiVersion": api_version, "kind": kind_name, "metadata": {"name": name}}


def _qualifiers(api_version: str) -> set[str]:
    """What may follow the kind's name and a dot: its group, or its version and group (core: the version)."""
    group, _, version = api_version.rpartition("/")
    return {group, f"{version}.{group}"} if group else {version}


def _from_files(paths: list[str], namespace: str) -> list[dict[str, Any]]:
    import yaml

    objects = []
    for path in paths:
        try:
            text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
            documents = list(yaml.safe_load_all(text))
        except OSError as exc:
            raise errors.UsageError(f"{path}: cannot read: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark else path
            raise errors.UsageError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
        for index, doc in enumerate(documents):
            if doc is None:
                continue
            items = doc.get("items", []) if isinstance(doc, dict) and doc.get("kind", "").endswith("List") else [doc]
            for item in items:
                if not isinstance(item, dict) or not item.get("kind") or not (item.get("metadata") or {}).get("name"):
                    raise errors.UsageError(f"{path}: document {index + 1} is not an object with kind and metadata.name")
                item.setdefault("metadata", {}).setdefault("namespace", namespace)
                objects.append(item)
    return objects


@app.command(no_args_is_help=True)
def track(
    resources: list[str] = typer.Argument(None, metavar="KIND/NAME", help="KIND/NAME to track, e.g. deployment/web job/migrate."),
    files: list[str] = typer.Option([], "-f", "--filename", metavar="FILE", help="Manifests to track (YAML; - for stdin)."),
    namespace: Optional[str] = typer.Option(None, "-n", "--namespace", metavar="NS", help="Namespace (default: the context's)."),
    timeout: str = typer.Option("5m", "--timeout", metavar="DURATION", help="Give up after this long (90s, 5m, 1h)."),
    rules_file: Optional[str] = typer.Option(None, "--rules", metavar="FILE", help="Ready/failed rules for custom resources (YAML)."),
    no_logs: bool = typer.Option(False, "--no-logs", help="Show no log lines: none streamed, none on failure, none in --report."),
    no_events: bool = typer.Option(False, "--no-events", help="Do not print Warning events."),
    report: Optional[str] = typer.Option(None, "--report", metavar="FILE", help="Write per-resource results as JSON to this file."),
    kubeconfig: Optional[str] = typer.Option(None, "--kubeconfig", metavar="FILE", help="Path of the kubeconfig (default: KUBECONFIG)."),
    kube_context: Optional[str] = typer.Option(None, "--kube-context", metavar="NAME", help="Context of the kubeconfig to use."),
) -> None:
    """Wait until objects are ready; fail within a second of the first fatal signal and show why."""
    from deploykit.kube.client import Kube
    from deploykit.secrets import kubesecrets
    from deploykit.track import custom, printing, settings
    from deploykit.track.tracking import Tracker, TrackOptions

    seconds = settings.parse_duration(timeout, what="--timeout")
    # Bad arguments are usage errors before any connection (exit 2, not a cluster error).
    named = [_from_argument(r) for r in resources or []]
    if not named and not files:
        raise errors.UsageError("nothing to track", hint="name objects as KIND/NAME or pass -f manifests.yaml")
    if report and not os.path.isdir(os.path.dirname(os.path.abspath(report))):
        raise errors.UsageError(f"--report {report}: the folder {os.path.dirname(report) or '.'} does not exist",
                                hint="create it first, or write the report elsewhere")
    custom_rules = []
    if rules_file:
        import yaml

        try:
            with open(rules_file, encoding="utf-8") as handle:
                custom_rules = custom.parse_rules(yaml.safe_load(handle), source=rules_file)
        except OSError as exc:
            raise errors.UsageError(f"{rules_file}: cannot read: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise errors.UsageError(f"{rules_file}: not valid YAML") from exc
    try:
        with Kube.connect(kubeconfig=kubeconfig, context=kube_context) as kube:
            target_namespace = namespace or kube.connection.default_namespace
            for obj in named:
                obj["metadata"]["namespace"] = target_namespace
            objects = _from_files(files, target_namespace) + named
            for obj in objects:  # cluster-scoped objects (CRDs, ClusterRoles, Namespaces) have no namespace
                if not kube.resource_for(obj.get("apiVersion", ""), obj["kind"]).namespaced:
                    obj["metadata"].pop("namespace", None)
            if not objects:
                raise errors.UsageError("nothing to track", hint="name objects as KIND/NAME or pass -f manifests.yaml")
            for obj in objects:  # a pod that logs a value of a Secret given to track must not print it
                if kubesecrets.is_secret(obj):
                    kubesecrets.register(obj)
            write = lambda line: typer.echo(line)  # noqa: E731 - stdout is the redacting stream
            printer = printing.TablePrinter(write) if sys.stdout.isatty() else printing.LinePrinter(write)
            options = TrackOptions(timeout=seconds, custom_rules=tuple(custom_rules), show_logs=not no_logs,
                                   show_events=not no_events)
            # on_secret: the Secrets the pods reference are registered before any of their log lines shows
            result = Tracker(kube, printer=printer, options=options, on_secret=kubesecrets.register).track(objects)
    except (errors.DeploykitError, KeyboardInterrupt) as exc:
        # CI reads the report whatever happened: say how tracking ended, then let the error exit as usual
        if report:
            ended = "interrupted" if isinstance(exc, KeyboardInterrupt) else str(exc)
            _write_report(report, {"ok": False, "error": ended, "resources": []})
        raise
    if report:
        from dataclasses import asdict

        _write_report(report, asdict(result))
    if not result.ok:
        failed = result.failed
        raise errors.TrackError(
            f"{failed.title} failed: {failed.reason}" if failed else "tracking failed",
            hint=_hint(failed.reason, namespace=failed.namespace, logs=not no_logs) if failed else None,
        )


def _write_report(path: str, data: dict[str, Any]) -> None:
    from deploykit.report import saving
    from deploykit.secrets import redaction

    try:
        # files skip the masking stdout: pod logs and events in the report pass the redactor here
        saving.save(path, redaction.mask(json.dumps(data, indent=2)))
    except OSError as exc:
        raise errors.ReportError(f"--report {path}: cannot write: {exc.strerror or exc}") from None


def _hint(reason: str, *, namespace: str | None, logs: bool) -> str:
    """What to do next, for the way tracking failed."""
    if reason.endswith("waiting for the object to appear"):
        where = f"in namespace {namespace}: check the name and -n" if namespace else "in the cluster: check the name"
        return f"it does not exist {where}, or apply it first"
    if reason.startswith(("timed out", "no activity")):
        return ("it was still in progress: the lines above show its last state; if it is only slow, raise --timeout "
                "(or its deploykit.io/timeout annotation)")
    if not logs:
        return ("the lines above show the pod, container and exit code; track again without --no-logs to see "
                "its last log lines")
    return "the lines above show the pod, container, exit code and last log lines"
