"""The tracker: watch the release's objects until all are ready, or fail at the first fatal signal.

It lists and watches (never polls) each tracked kind per namespace, plus the
Pods, ReplicaSets and Events of those namespaces, through resumable watches
that survive closed streams and 410 Gone. It prints progress, Warning events
of the release's objects and pods, and their logs; on failure it shows the
failing object, pod, container, reason, exit code and last log lines.
Results come back as data for the engine and the reports.

No log line of a pod is printed or returned before every Secret the pod
references has been read and handed to the caller's `on_secret` (which
registers its values with the run's redactor): see `logsecrets`. With
`show_logs` off, no log line is read at all.

The cluster is reached only through the `KubeSeam` handed in.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.track import _merging, logsecrets, ownership, pods, printing, rules
from deploykit.track.custom import CustomRule
from deploykit.track.settings import TrackSettings, settings_for
from deploykit.track.verdicts import Phase, Verdict

# Kinds whose readiness is their existence: no watch needed.
STATIC_KINDS = frozenset({
    "ConfigMap", "Secret", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
    "NetworkPolicy", "LimitRange", "ResourceQuota", "PodDisruptionBudget", "Endpoints", "IngressClass",
    "CronJob", "Lease", "PriorityClass", "StorageClass", "Ingress", "HorizontalPodAutoscaler", "Namespace",
})
OWNING_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})


class WatchLike(Protocol):
    def events(self) -> Iterator[Any]: ...
    def stop(self) -> None: ...


class KubeSeam(Protocol):
    """What the tracker needs from the cluster (deploykit.kube.client.Kube provides it)."""

    def watch(self, api_version: str, kind: str, *, namespace: str | None = None) -> WatchLike: ...
    def list(self, api_version: str, kind: str, *, namespace: str | None = None,
             field_selector: str | None = None) -> list[dict]: ...
    def pod_logs(self, namespace: str, pod: str, *, container: str | None = None, tail_lines: int | None = None,
                 previous: bool = False) -> str: ...
    def follow_pod_logs(self, namespace: str, pod: str, *, container: str) -> Iterable[str]: ...


@frozen
class TrackOptions:
    timeout: float = 300.0
    defaults: TrackSettings = field(default_factory=TrackSettings)
    custom_rules: Sequence[CustomRule] = ()
    show_logs: bool = True
    show_events: bool = True
    failure_log_lines: int = 20
    # How long the API server may stay unreachable before tracking gives up with a cluster error.
    connection_grace: float = 30.0
    max_log_followers: int = 8
    # Called at every turn of the wait (a few times a second) in the tracking thread; what it raises ends the wait
    # (the engine's `cancelling.check`: a cancelled CI job stops tracking at once).
    checkpoint: Callable[[], None] | None = None


@dataclass
class ResourceResult:
    """What happened to one tracked object: final status, reason, timing, events seen."""

    kind: str
    name: str
    namespace: str | None
    phase: str
    reason: str
    progress: str = ""
    seconds: float | None = None
    events: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    logs: dict[str, list[str]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass
class TrackResult:
    ok: bool
    resources: list[ResourceResult]
    duration: float
    failed: ResourceResult | None = None
    timed_out: bool = False
    resumes: int = 0
    relists: int = 0


@dataclass
class _Target:
    api_version: str
    kind: str
    namespace: str | None
    name: str
    settings: TrackSettings
    verdict: Verdict | None = None
    live: dict | None = None
    since: float = 0.0
    last_activity: float = 0.0
    done_at: float | None = None
    events: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def key(self) -> tuple:
        return (self.kind, self.namespace, self.name)


class _Synchronized:
    """Serialise printer calls from the tracker and the log follower threads."""

    def __init__(self, inner: printing.Printer) -> None:
        self._inner, self._lock = inner, threading.Lock()

    def __getattr__(self, name: str):
        method = getattr(self._inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return method(*args, **kwargs)

        return call


class Tracker:
    """Tracks objects until ready or failed.

    `on_secret` is called with each Secret object (as read from the cluster) that a pod references, before any
    of that pod's log lines is printed or returned; it must register the Secret's values for masking.
    """

    def __init__(self, kube: KubeSeam, *, printer: printing.Printer, on_secret: logsecrets.OnSecret,
                 options: TrackOptions | None = None, clock=time.monotonic) -> None:
        self.kube = kube
        self._on_secret = on_secret
        self.printer = _Synchronized(printer)
        self.options = options or TrackOptions()
        self.clock = clock
        self._pods: dict[str, dict] = {}
        self._replica_sets: dict[str, dict] = {}
        self._followed: set[tuple[str, str, str]] = set()
        self._followers: list[threading.Thread] = []
        self._streams: list[Any] = []  # followed log streams that can be closed (see _pump_logs)
        self._streams_lock = threading.Lock()
        self._stopping = threading.Event()
        self._seen_events: dict[str, int] = {}

    # -- public -----------------------------------------------------------------
    def track(self, objects: Sequence[Mapping[str, Any]]) -> TrackResult:
        """Wait for `objects` (as applied) to become ready; return as soon as one fails."""
        start = self.clock()
        self._wall_start = datetime.now(timezone.utc)
        targets = self._targets(objects, start)
        for target in targets:
            # Existence is readiness for these: one named lookup each instead of a watch of every ConfigMap
            # and Secret in the namespace. Only a missing one is watched until it appears.
            if target.kind in STATIC_KINDS and self.kube.list(
                    target.api_version, target.kind, namespace=target.namespace,
                    field_selector=f"metadata.name={target.name}"):
                target.verdict = Verdict(Phase.READY, "exists")
                target.done_at = start
        watched = [t for t in targets if t.done_at is None]
        from_watches = self._start_watches(watched)
        try:
            return self._loop(targets, watched, from_watches, start)
        finally:
            self._stopping.set()
            for watch in from_watches:
                watch.stop()
            with self._streams_lock:
                streams = list(self._streams)
            for stream in streams:  # a follower blocked reading its stream returns at once
                stream.close()
            for thread in self._followers:
                thread.join(timeout=1)

    # -- set-up -----------------------------------------------------------------
    def _targets(self, objects: Sequence[Mapping[str, Any]], start: float) -> list[_Target]:
        targets = []
        for obj in objects:
            settings = settings_for(obj, defaults=self.options.defaults)
            if not settings.track:
                continue
            meta = obj.get("metadata") or {}
            targets.append(_Target(obj.get("apiVersion", ""), obj.get("kind", ""), meta.get("namespace"),
                                   meta.get("name", ""), settings, since=start, last_activity=start))
        return targets

    def _start_watches(self, watched: list[_Target]) -> list[Any]:
        kinds = {(t.api_version, t.kind, t.namespace) for t in watched}
        namespaces = {t.namespace for t in watched if t.kind in OWNING_KINDS or t.kind == "Pod"}
        event_namespaces = {t.namespace for t in watched}
        watches = [self.kube.watch(api, kind, namespace=ns) for api, kind, ns in sorted(kinds, key=str)]
        for ns in sorted(namespaces, key=str):
            if not any(k == ("v1", "Pod", ns) for k in kinds):
                watches.append(self.kube.watch("v1", "Pod", namespace=ns))
            watches.append(self.kube.watch("apps/v1", "ReplicaSet", namespace=ns))
        if self.options.show_events:
            for ns in sorted(event_namespaces, key=str):
                watches.append(self.kube.watch("v1", "Event", namespace=ns))
        self._merged = _merging.Merged(watches)
        return watches

    # -- main loop ----------------------------------------------------------------
    def _loop(self, targets: list[_Target], watched: list[_Target], watches: list[Any], start: float) -> TrackResult:
        by_key = {t.key: t for t in watched}
        deadline = start + self.options.timeout
        # No verdict before every initial list is in: an object listed late is not "missing",
        # and a Job that failed before tracking began is judged with its pods and their logs.
        while not self._merged.listed() and self.clock() < deadline:
            self._checkpoint()
            if (event := self._merged.next(timeout=0.05)) is not None:
                self._absorb(event, by_key)
        while True:
            self._checkpoint()
            now = self.clock()
            pending = [t for t in targets if t.done_at is None]
            if not pending:
                return self._result(targets, start, ok=True)
            wait = max(0.0, min(0.25, deadline - now))
            event = self._merged.next(timeout=wait)
            now = self.clock()
            if event is not None:
                self._absorb(event, by_key)
                # drain what is already queued before evaluating: one verdict per burst
                while (more := self._merged.next(timeout=0)) is not None:
                    self._absorb(more, by_key)
            failed = self._evaluate(pending, now)
            if failed is not None:
                return self._fail(targets, failed, start)
            lost = self._merged.failing()
            if lost is not None and (lost[0] >= self.options.connection_grace or now >= deadline):
                # A verdict needs a cluster that answers: this is not a timed-out roll out.
                raise errors.KubeError(f"lost the API server: no answer for {lost[0]:.0f}s ({lost[1]})",
                                       hint="check that the cluster is up and reachable, then track again")
            expired = self._expired(pending, now, deadline)
            if expired is not None:
                target, timed_out = expired
                return self._fail(targets, target, start, timed_out=timed_out)

    def _checkpoint(self) -> None:
        if self.options.checkpoint is not None:
            self.options.checkpoint()

    def _absorb(self, event: Any, by_key: dict) -> None:
        obj, kind = event.object, event.resource.kind
        meta = obj.get("metadata") or {}
        uid = meta.get("uid", "")
        owned = {"Pod": self._pods, "ReplicaSet": self._replica_sets}.get(kind)
        if owned is not None:
            if event.type == "DELETED":
                owned.pop(uid, None)
            else:
                owned[uid] = obj
        elif kind == "Event":
            self._warning(obj, by_key)
            return
        target = by_key.get((kind, meta.get("namespace"), meta.get("name")))
        if target is None and not meta.get("namespace"):
            # A cluster-scoped object (a CRD, a ClusterRole): the namespace that -n or a manifest's
            # default gave its target does not apply to it.
            target = next((t for t in by_key.values() if t.kind == kind and t.name == meta.get("name")), None)
            if target is not None:
                target.namespace = None
        if target is not None:
            target.live = None if event.type == "DELETED" else obj

    def _related(self, target: _Target) -> rules.Related:
        namespace_pods = [p for p in self._pods.values() if (p.get("metadata") or {}).get("namespace") == target.namespace]
        namespace_rs = [r for r in self._replica_sets.values()
                        if (r.get("metadata") or {}).get("namespace") == target.namespace]
        return ownership.related_for(target.live or {}, pods=namespace_pods, replica_sets=namespace_rs)

    def _evaluate(self, pending: list[_Target], now: float) -> _Target | None:
        wall_now = datetime.now(timezone.utc)
        for target in pending:
            if target.live is None:
                verdict = Verdict(Phase.IN_PROGRESS, "waiting for the object to appear")
            else:
                related = self._related(target)
                ctx = rules.Context(settings=target.settings, now=wall_now, custom_rules=self.options.custom_rules)
                verdict = rules.status_of(target.live, related=related, ctx=ctx)
                if verdict.phase is Phase.FAILED and not verdict.problems and target.kind == "Job":
                    verdict = self._judged_with_listed_pods(target, ctx) or verdict
                if self.options.show_logs and verdict.phase is not Phase.FAILED:  # the failure block shows them
                    self._follow_logs(related.pods)
            if target.verdict is None or (verdict.phase, verdict.reason, verdict.progress) != (
                    target.verdict.phase, target.verdict.reason, target.verdict.progress):
                # activity is progress: a changed verdict, not the repeated events of a stuck pod
                target.last_activity = now
                if verdict.phase is not Phase.FAILED:  # a failure is printed whole by printer.failure
                    self.printer.progress(target.title, verdict)
            target.verdict = verdict
            if verdict.phase is Phase.FAILED:
                target.done_at = now
                return target
            if verdict.phase is Phase.READY:
                target.done_at = now
        return None

    def _judged_with_listed_pods(self, target: _Target, ctx: rules.Context) -> Verdict | None:
        """A Job seen failed before its pod's last change came in (two watches, no order between them): its
        namespace's pods read once more, so that the failure names the pod and shows its last log lines."""
        try:
            listed = self.kube.list("v1", "Pod", namespace=target.namespace)
        except errors.KubeError:
            return None
        for pod in listed:
            if uid := (pod.get("metadata") or {}).get("uid"):
                self._pods[uid] = pod
        return rules.status_of(target.live or {}, related=self._related(target), ctx=ctx)

    def _expired(self, pending: list[_Target], now: float, deadline: float) -> tuple[_Target, bool] | None:
        """The first target out of time: (target, True) at a timeout, (target, False) when quiet too long."""
        for target in pending:
            if target.done_at is not None:
                continue
            own = target.settings.timeout
            quiet = target.settings.no_activity_timeout
            waiting_for = target.verdict.reason if target.verdict else "the object to appear"
            if quiet is not None and now - target.last_activity >= quiet:
                target.verdict = Verdict(Phase.FAILED, f"no activity for {quiet:g}s while waiting: {waiting_for}",
                                         target.verdict.progress if target.verdict else "")
                return target, False
            own_expired = own is not None and now - target.since >= own
            if own_expired or now >= deadline:
                limit = own if own_expired else self.options.timeout
                target.verdict = Verdict(Phase.FAILED, f"timed out after {limit:g}s waiting: {waiting_for}",
                                         target.verdict.progress if target.verdict else "")
                return target, True
        return None

    # -- events and logs ----------------------------------------------------------
    def _warning(self, event: dict, by_key: dict) -> None:
        if event.get("type") != "Warning":
            return
        involved = event.get("involvedObject") or {}
        uid = involved.get("uid")
        ours = {(t.live.get("metadata") or {}).get("uid") for t in by_key.values() if t.live}
        ours |= {u for u, pod in self._pods.items() if set(ownership.pod_owner_chain(pod, self._replica_sets)) & ours}
        ours |= {u for u, rs in self._replica_sets.items()
                 if {r.get("uid") for r in (rs.get("metadata") or {}).get("ownerReferences") or []} & ours}
        if uid not in ours:
            return
        stamp = event.get("lastTimestamp") or event.get("eventTime") or (event.get("metadata") or {}).get(
            "creationTimestamp")
        when = pods.parse_time(stamp)
        if when is not None and (self._wall_start - when).total_seconds() > 1:
            return
        event_uid = (event.get("metadata") or {}).get("uid", "")
        count = int(event.get("count") or 1)
        if self._seen_events.get(event_uid, 0) >= count:
            return
        self._seen_events[event_uid] = count
        subject = f"{(involved.get('kind') or '').lower()}/{involved.get('name')}"
        text = f"{event.get('reason')} {subject}: {event.get('message', '')}"
        for target in by_key.values():
            if target.live and (involved.get("name", "").startswith(target.name)):
                target.events.append(text)
        self.printer.warning_event(subject, event.get("reason", ""), event.get("message", ""))

    def _follow_logs(self, pods: Sequence[Mapping[str, Any]]) -> None:
        for pod in pods:
            meta, status = pod.get("metadata") or {}, pod.get("status") or {}
            for container in status.get("containerStatuses") or []:
                state = container.get("state") or {}
                if not (state.get("running") or state.get("terminated")):
                    continue
                key = (meta.get("namespace"), meta.get("name"), container.get("name"))
                if key in self._followed or len(self._followers) >= self.options.max_log_followers:
                    continue
                self._followed.add(key)
                if withheld := self._hand_over_secrets(pod):  # before the first line, not after
                    self.printer.log_line(key[1], key[2], f"(log lines withheld: {withheld})")
                    continue
                thread = threading.Thread(target=self._pump_logs, args=key, daemon=True)
                self._followers.append(thread)
                thread.start()

    def _hand_over_secrets(self, pod: Mapping[str, Any]) -> str | None:
        """None once the Secrets `pod` references are in the caller's hands (its log lines may show), else why not."""
        return logsecrets.hand_over(pod, kube=self.kube, on_secret=self._on_secret)

    def _pump_logs(self, namespace: str, pod: str, container: str) -> None:
        try:
            lines = self.kube.follow_pod_logs(namespace, pod, container=container)
            if hasattr(lines, "close") and not inspect.isgenerator(lines):
                with self._streams_lock:
                    self._streams.append(lines)
                if self._stopping.is_set():
                    lines.close()
            for line in lines:
                if self._stopping.is_set():
                    return
                self.printer.log_line(pod, container, line)
        except errors.KubeError:
            return  # logs are a courtesy: a pod that went away takes its logs with it

    # -- results ------------------------------------------------------------------
    def _last_logs(self, target: _Target) -> dict[str, list[str]]:
        logs: dict[str, list[str]] = {}
        verdict = target.verdict
        if verdict is None:
            return logs
        for pod, container, previous in printing.problem_sources(verdict.problems):
            source = (f"{pod}/{container}" if container else pod) + (" (previous attempt)" if previous else "")
            live = next((p for p in self._pods.values() if (p.get("metadata") or {}).get("name") == pod
                         and (p.get("metadata") or {}).get("namespace") == target.namespace), None)
            if live is None:
                continue  # a pod that is gone took its logs with it; its spec can no longer say what to mask
            if withheld := self._hand_over_secrets(live):
                logs[source] = [f"(log lines withheld: {withheld})"]
                continue
            text = ""
            try:
                text = self.kube.pod_logs(target.namespace or "", pod, container=container,
                                          tail_lines=self.options.failure_log_lines, previous=previous)
                if not text and previous:
                    text = self.kube.pod_logs(target.namespace or "", pod, container=container,
                                              tail_lines=self.options.failure_log_lines)
            except errors.KubeError:
                text = ""
            lines = text.splitlines()[-self.options.failure_log_lines:]
            if lines:
                logs[source] = lines
        return logs

    def _fail(self, targets: list[_Target], culprit: _Target, start: float, *, timed_out: bool = False) -> TrackResult:
        logs = self._last_logs(culprit) if self.options.show_logs else {}
        self.printer.failure(culprit.title, culprit.verdict, logs)
        result = self._result(targets, start, ok=False, timed_out=timed_out)
        result.failed = next(r for r in result.resources if (r.kind, r.namespace, r.name) == culprit.key)
        result.failed.logs = logs
        ready = sum(1 for r in result.resources if r.phase == Phase.READY.value)
        self.printer.done(False, f"{culprit.title} failed, {ready}/{len(result.resources)} resources ready")
        return result

    def _result(self, targets: list[_Target], start: float, *, ok: bool, timed_out: bool = False) -> TrackResult:
        duration = self.clock() - start
        resources = []
        for target in targets:
            verdict = target.verdict or Verdict(Phase.IN_PROGRESS, "not observed")
            resources.append(ResourceResult(
                kind=target.kind, name=target.name, namespace=target.namespace, phase=verdict.phase.value,
                reason=verdict.reason, progress=verdict.progress,
                seconds=None if target.done_at is None else round(target.done_at - start, 3),
                events=list(target.events),
                problems=[p.__dict__ | {"summary": p.describe()} for p in verdict.problems],
            ))
        if ok:
            self.printer.done(True, f"{len(targets)} resources ready in {duration:.1f}s")
        merged = getattr(self, "_merged", None)
        return TrackResult(ok=ok, resources=resources, duration=round(duration, 3), timed_out=timed_out,
                           resumes=merged.resumes if merged else 0, relists=merged.relists if merged else 0)
