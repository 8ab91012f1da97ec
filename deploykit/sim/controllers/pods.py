"""The kubelet: runs the containers of every pod bound to a simulated node, as its annotations ask.

Owns one worker per bound pod (an asyncio task) that walks the pod through
what a kubelet does: sandbox and pod IP (PodReadyToStartContainers), volumes
(missing ConfigMap / Secret: FailedMount, stays ContainerCreating), image
pulls (Pulling / Pulled, or ErrImagePull then ImagePullBackOff with back-off
for `imagepull-fail` and registry hosts ending in `.invalid`;
InvalidImageName; ErrImageNeverPull), container config (missing ConfigMap /
Secret keys in env: CreateContainerConfigError), init containers in order,
then the app containers: Created, Started, Ready after a short delay (or
`ready-after`, or never), exits as the behaviour says (crashloop, oom,
exit:N; run-to-completion pods exit 0), restarts with the kubelet's back-off
(immediately the first time, then 10 s, 20 s, 40 s ... up to 5 min, waiting
reason CrashLoopBackOff, BackOff events) and what each instance prints, in
the log book. Graceful deletion: Killing, containers stop, the pod ends in a
terminal phase and is removed (grace 0). Status goes through pods/status
with the field manager `kubelet`; events name the container's fieldPath.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import uuid
from typing import Any, Iterable

from deploykit.sim import statuses
from deploykit.sim import store as store_mod
from deploykit.sim.controllers import behaviours, events, nodes as nodes_mod, objects, podstatus, reconciling

log = logging.getLogger("deploykit.sim")
Obj = dict[str, Any]

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REFERENCE = re.compile(
    rf"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$")


class Gone(Exception):
    """The pod this worker runs no longer exists (or was replaced by another with the same name)."""


# --- images ---------------------------------------------------------------------------------------


def registry_host(image: str) -> str:
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first.split(":")[0]
    return "docker.io"


def normalized(image: str) -> str:
    """The image as containerd reports it: docker.io/library/nginx:1.25 for nginx:1.25."""
    name = image
    first, sep, _ = image.partition("/")
    if not sep:
        name = "docker.io/library/" + image
    elif not ("." in first or ":" in first or first == "localhost"):
        name = "docker.io/" + image
    last = name.rsplit("/", 1)[-1]
    if "@" not in name and ":" not in last:
        name += ":latest"
    return name


def image_id(image: str) -> str:
    ref = normalized(image)
    repo = ref.split("@")[0].rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref.split("@")[0]
    return f"{repo}@sha256:{hashlib.sha256(ref.encode()).hexdigest()}"


def valid_reference(image: str) -> bool:
    return bool(image) and bool(_REFERENCE.match(image))


def pull_error(image: str) -> str:
    ref = normalized(image)
    host = registry_host(image)
    if host.endswith(".invalid"):
        path = ref.split("/", 1)[1]
        repo, _, tag = path.rpartition(":")
        return (f'failed to pull and unpack image "{ref}": failed to resolve reference "{ref}": failed to do request: '
                f'Head "https://{host}/v2/{repo}/manifests/{tag}": dial tcp: lookup {host}: no such host')
    return (f'failed to pull and unpack image "{ref}": failed to resolve reference "{ref}": pull access denied, '
            f"repository does not exist or may require authorization: server message: insufficient_scope: "
            f"authorization failed")


def go_duration(seconds: float) -> str:
    """time.Duration.String for whole seconds and milliseconds (10s, 1m20s, 5m0s, 150ms)."""
    if seconds < 1:
        return f"{int(round(seconds * 1000))}ms"
    whole = int(round(seconds))
    minutes, rest = divmod(whole, 60)
    return f"{minutes}m{rest}s" if minutes else f"{rest}s"


class Backoff:
    """The kubelet's per-container back-off: `base`, doubling, capped.

    `immediate_first`: the first delay is 0 (the kubelet restarts a container at once after its first
    exit and backs off from the second on); otherwise the first delay is `base` (image pulls).
    """

    def __init__(self, base: float, cap: float, *, immediate_first: bool) -> None:
        self.base, self.cap = base, cap
        self._delay: float | None = None if immediate_first else base

    def next(self) -> float:
        if self._delay is None:
            self._delay = self.base
            return 0.0
        delay = self._delay
        self._delay = min(delay * 2, self.cap)
        return delay


# --- the kubelet ----------------------------------------------------------------------------------


class Kubelet(reconciling.Controller):
    resource = ("", "v1", "pods")
    manager = "kubelet"
    component = "kubelet"

    def __init__(self, ctx: reconciling.Context, nodes: nodes_mod.Nodes) -> None:
        super().__init__(ctx)
        self.nodes = nodes
        self.workers: dict[str, PodWorker] = {}
        self.images: dict[str, set[str]] = {}

    def stop(self) -> None:
        super().stop()
        for worker in list(self.workers.values()):
            worker.cancel()
        self.workers.clear()

    def keys_for(self, event: store_mod.Event) -> Iterable[reconciling.Key]:
        meta = event.obj["metadata"]
        if event.type == store_mod.DELETED:
            worker = self.workers.pop(meta.get("uid", ""), None)
            if worker is not None:
                worker.cancel()
            self.ctx.logbook.forget(meta.get("uid", ""))
            self.nodes.release_ip((event.obj.get("spec") or {}).get("nodeName") or "",
                                  (event.obj.get("status") or {}).get("podIP"))
            return
        if (event.obj.get("spec") or {}).get("nodeName"):
            yield meta.get("namespace", ""), meta["name"]

    def reconcile(self, namespace: str, name: str) -> float | None:
        pod = self.live(namespace, name)
        if pod is None or not (pod.get("spec") or {}).get("nodeName"):
            return None
        uid = pod["metadata"]["uid"]
        worker = self.workers.get(uid)
        if pod["metadata"].get("deletionTimestamp"):
            if worker is None:
                worker = self.workers[uid] = PodWorker(self, pod, start=False)
            worker.terminate()
        elif worker is None and not objects.pod_terminal(pod):
            self.workers[uid] = PodWorker(self, pod)
        return None


class PodWorker:
    """Runs one pod's containers; all writes of its status go through `flush`."""

    def __init__(self, kubelet: Kubelet, pod: Obj, *, start: bool = True) -> None:
        self.kubelet = kubelet
        self.ctx = kubelet.ctx
        self.timing = kubelet.timing
        meta, spec = pod["metadata"], pod.get("spec") or {}
        self.uid, self.namespace, self.name = meta["uid"], meta["namespace"], meta["name"]
        self.node = spec["nodeName"]
        self.restart_policy = spec.get("restartPolicy", "Always")
        self.annotations = meta.get("annotations") or {}
        inits, apps = spec.get("initContainers") or [], spec.get("containers") or []
        self.specs = {c["name"]: c for c in inits + apps}
        self.init = [podstatus.ContainerRun(c["name"], c.get("image", ""), init=True,
                                            state={"waiting": {"reason": "PodInitializing"}}) for c in inits]
        self.app = [podstatus.ContainerRun(c["name"], c.get("image", ""),
                                           state={"waiting": {"reason": "PodInitializing" if inits
                                                              else "ContainerCreating"}}) for c in apps]
        problems: list[str] = []
        self.behaviour: dict[str, behaviours.Container] = {}
        for index, c in enumerate(inits):
            self.behaviour[c["name"]], found = behaviours.for_container(
                self.annotations, c["name"], init=True, first_init=index == 0)
            problems += found
        for c in apps:
            self.behaviour[c["name"]], found = behaviours.for_container(self.annotations, c["name"])
            problems += found
        self.sandbox = False
        self.pod_ip: str | None = None
        self.start_time: str | None = None
        self.terminating = False
        self._adopted = self._adopt(pod)
        self._problems = problems
        self._main: asyncio.Task[None] | None = None
        self._stopping: asyncio.Task[None] | None = None
        if start:
            self._main = asyncio.get_running_loop().create_task(self._run())

    # --- control --------------------------------------------------------------------------------------

    def cancel(self) -> None:
        for task in (self._main, self._stopping):
            if task is not None and not task.done():
                task.cancel()

    def terminate(self) -> None:
        if self._stopping is not None:
            return
        if self._main is not None and not self._main.done():
            self._main.cancel()
        self._stopping = asyncio.get_running_loop().create_task(self._terminate())

    # --- state and writes -----------------------------------------------------------------------------

    def _adopt(self, pod: Obj) -> bool:
        status = pod.get("status") or {}
        if not status.get("podIP"):
            return False
        self.sandbox, self.pod_ip, self.start_time = True, status["podIP"], status.get("startTime")
        entries = {c.get("name"): c for key in ("initContainerStatuses", "containerStatuses")
                   for c in status.get(key) or ()}
        for run in self.init + self.app:
            if run.name in entries:
                run.adopt(entries[run.name])
        return True

    def pod(self) -> Obj:
        pod = self.kubelet.live(self.namespace, self.name)
        if pod is None or pod["metadata"].get("uid") != self.uid:
            raise Gone()
        return pod

    def flush(self) -> Obj:
        """Write the pod's status as the runs say (nothing when it is unchanged)."""
        pod = self.pod()
        status = podstatus.build(pod.get("status") or {}, restart_policy=self.restart_policy, init=self.init,
                                 app=self.app, sandbox=self.sandbox, host_ip=self.kubelet.nodes.host_ip(self.node),
                                 pod_ip=self.pod_ip, start_time=self.start_time, now=self.ctx.api.now(),
                                 terminating=self.terminating)
        try:
            return self.kubelet.write_status(pod, status)
        except statuses.ApiError as exc:
            if exc.code == 404:
                raise Gone() from None
            raise

    def event(self, type_: str, reason: str, message: str, run: podstatus.ContainerRun | None = None) -> None:
        field_path = None
        if run is not None:
            field_path = f"spec.{'initContainers' if run.init else 'containers'}{{{run.name}}}"
        self.ctx.recorder.emit(self.pod(), type_, reason, message, component="kubelet", host=self.node,
                               field_path=field_path)

    async def sleep(self, simulated: float) -> None:
        await asyncio.sleep(self.timing.scaled(simulated))

    # --- the pod's life -------------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            for problem in self._problems:
                self.event(events.WARNING, "InvalidSimBehavior", problem)
            if not self._adopted:
                await self.sleep(self.timing.sandbox)
                self.pod_ip = self.kubelet.nodes.allocate_ip(self.node)
                self.sandbox, self.start_time = True, self.ctx.api.now()
                self.flush()
                await self._mount_volumes()
            for run in self.init:
                if run.succeeded():
                    continue
                code = await self._container(run)
                if code != 0:
                    self.flush()
                    return
            # The app containers stay PodInitializing until created, as the real kubelet's default waiting state.
            self.flush()
            await asyncio.gather(*(self._container(run) for run in self.app))
            self.flush()
        except Gone:
            pass
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - one pod's bug must not take the kubelet down
            log.exception("kubelet: pod %s/%s failed", self.namespace, self.name)

    async def _mount_volumes(self) -> None:
        """Wait until every ConfigMap / Secret volume exists (FailedMount events meanwhile)."""
        while True:
            problem = self._volume_problem()
            if problem is None:
                return
            self.event(events.WARNING, "FailedMount", problem)
            await self.sleep(self.timing.backoff)

    def _volume_problem(self) -> str | None:
        store = self.ctx.api.store
        spec = self.pod().get("spec") or {}
        for volume in spec.get("volumes") or ():
            for field, plural, noun, name_key in (("configMap", "configmaps", "configmap", "name"),
                                                  ("secret", "secrets", "secret", "secretName")):
                source = volume.get(field)
                if not isinstance(source, dict) or source.get("optional"):
                    continue
                name = source.get(name_key)
                if name and store.get(("", plural), self.namespace, name) is None:
                    return f'MountVolume.SetUp failed for volume "{volume.get("name")}" : {noun} "{name}" not found'
        return None

    async def _container(self, run: podstatus.ContainerRun) -> int:
        """Run one container until it stops for good; returns its last exit code."""
        behaviour = self.behaviour[run.name]
        restarts = Backoff(self.timing.backoff, self.timing.backoff_max, immediate_first=True)
        resume = run.running
        attempt = run.restart_count
        while True:
            if not resume:
                await self._pull(run, behaviour)
                await self._configure(run)
                await self.sleep(self.timing.create)
                attempt += 1
                self._start(run, behaviour, attempt)
            resume = False
            code = await self._live(run, behaviour)
            if not self._restarts(run, code):
                return code
            await self.sleep(self.timing.sync)
            delay = restarts.next()
            if delay > 0:
                self._back_off(run, delay)
                await self.sleep(delay)

    def _restarts(self, run: podstatus.ContainerRun, code: int) -> bool:
        if self.restart_policy == "Never":
            return False
        if run.init or self.restart_policy == "OnFailure":
            return code != 0
        return True

    async def _pull(self, run: podstatus.ContainerRun, behaviour: behaviours.Container) -> None:
        image = run.image
        spec = self.specs[run.name]
        if not valid_reference(image):
            message = (f'Failed to apply default image tag "{image}": couldn\'t parse image name "{image}": '
                       f"invalid reference format")
            run.state = {"waiting": {"reason": "InvalidImageName", "message": message}}
            self.event(events.WARNING, "InspectFailed", message, run)
            self.event(events.WARNING, "Failed", "Error: InvalidImageName", run)
            self.flush()
            await asyncio.Event().wait()  # the kubelet retries, and fails, forever
        fails = behaviour.pull_fails or registry_host(image).endswith(".invalid")
        # An image asked to fail is never in the node's cache, whatever pulled it before.
        present = not fails and image in self.kubelet.images.setdefault(self.node, set())
        policy = spec.get("imagePullPolicy") or "IfNotPresent"
        if policy == "Never" and not present:
            message = f'Container image "{image}" is not present with pull policy of Never'
            run.state = {"waiting": {"reason": "ErrImageNeverPull", "message": message}}
            self.event(events.WARNING, "ErrImageNeverPull", message, run)
            self.event(events.WARNING, "Failed", "Error: ErrImageNeverPull", run)
            self.flush()
            await asyncio.Event().wait()
        if present and policy != "Always":
            self._pulled(run)
            self.event(events.NORMAL, "Pulled", f'Container image "{image}" already present on machine', run)
            return
        backoff = Backoff(self.timing.backoff, self.timing.backoff_max, immediate_first=False)
        while True:
            self.event(events.NORMAL, "Pulling", f'Pulling image "{image}"', run)
            await self.sleep(self.timing.pull)
            if not fails:
                self.kubelet.images[self.node].add(image)
                self._pulled(run)
                took = go_duration(self.timing.pull)
                size = int(hashlib.sha256(image.encode()).hexdigest()[:6], 16) * 64
                self.event(events.NORMAL, "Pulled", f'Successfully pulled image "{image}" in {took} ({took} '
                                                    f"including waiting). Image size: {size} bytes.", run)
                return
            error = pull_error(image)
            self.event(events.WARNING, "Failed", f'Failed to pull image "{image}": {error}', run)
            self.event(events.WARNING, "Failed", "Error: ErrImagePull", run)
            run.state = {"waiting": {"reason": "ErrImagePull", "message": error}}
            self.flush()
            await self.sleep(self.timing.sync)
            delay = backoff.next()
            self.event(events.NORMAL, "BackOff", f'Back-off pulling image "{image}"', run)
            self.event(events.WARNING, "Failed", "Error: ImagePullBackOff", run)
            run.state = {"waiting": {"reason": "ImagePullBackOff",
                                     "message": f'Back-off pulling image "{image}": ErrImagePull: {error}'}}
            self.flush()
            await self.sleep(delay)

    def _pulled(self, run: podstatus.ContainerRun) -> None:
        run.image_ref = normalized(run.image)
        run.image_id = image_id(run.image)

    async def _configure(self, run: podstatus.ContainerRun) -> None:
        """CreateContainerConfigError while an env source is missing; retried at the back-off base."""
        while True:
            problem = self._config_problem(self.specs[run.name])
            if problem is None:
                return
            run.state = {"waiting": {"reason": "CreateContainerConfigError", "message": problem}}
            self.event(events.WARNING, "Failed", f"Error: {problem}", run)
            self.flush()
            await self.sleep(self.timing.backoff)

    def _config_problem(self, container: Obj) -> str | None:
        store = self.ctx.api.store
        ns = self.namespace

        def lookup(plural: str, name: str) -> Obj | None:
            return store.get(("", plural), ns, name)

        for source in container.get("envFrom") or ():
            for field, plural, noun in (("configMapRef", "configmaps", "configmap"), ("secretRef", "secrets", "secret")):
                ref = source.get(field)
                if isinstance(ref, dict) and not ref.get("optional") and lookup(plural, ref.get("name", "")) is None:
                    return f'{noun} "{ref.get("name", "")}" not found'
        for var in container.get("env") or ():
            value_from = var.get("valueFrom") or {}
            for field, plural, noun, kind in (("configMapKeyRef", "configmaps", "configmap", "ConfigMap"),
                                              ("secretKeyRef", "secrets", "secret", "Secret")):
                ref = value_from.get(field)
                if not isinstance(ref, dict) or ref.get("optional"):
                    continue
                obj = lookup(plural, ref.get("name", ""))
                if obj is None:
                    return f'{noun} "{ref.get("name", "")}" not found'
                key = ref.get("key", "")
                if key not in (obj.get("data") or {}) and key not in (obj.get("binaryData") or {}):
                    return f"couldn't find key {key} in {kind} {ns}/{ref.get('name', '')}"
        return None

    def _start(self, run: podstatus.ContainerRun, behaviour: behaviours.Container, attempt: int) -> None:
        if run.terminated is not None:
            run.last_state = {"terminated": run.terminated}
        if attempt > 1:
            run.restart_count += 1
        run.container_id = "containerd://" + uuid.uuid4().hex + uuid.uuid4().hex
        run.state = {"running": {"startedAt": self.ctx.api.now()}}
        run.started, run.ready = True, False
        self.event(events.NORMAL, "Created", f"Created container: {run.name}", run)
        self.event(events.NORMAL, "Started", f"Started container {run.name}", run)
        self.ctx.logbook.begin(self.uid, run.container_id, behaviour.lines(attempt))
        self.flush()

    async def _live(self, run: podstatus.ContainerRun, behaviour: behaviours.Container) -> int:
        """The running container: becomes ready (app containers), exits if its behaviour says so."""
        code = behaviour.exit_code
        if code is None and (run.init or self.restart_policy != "Always"):
            code = 0
        readiness = None if run.init else asyncio.get_running_loop().create_task(self._readiness(run, behaviour))
        try:
            if code is None:
                await asyncio.Event().wait()
            await self.sleep(behaviour.exit_after if behaviour.exit_after is not None else self.timing.run)
        finally:
            if readiness is not None:
                readiness.cancel()
        reason = behaviour.exit_reason or ("Completed" if code == 0 else "Error")
        self._stop(run, code, reason)
        return code

    async def _readiness(self, run: podstatus.ContainerRun, behaviour: behaviours.Container) -> None:
        try:
            if behaviour.never_ready:
                probe = self.specs[run.name].get("readinessProbe") or {}
                period = probe.get("periodSeconds") or self.timing.probe_period
                await self.sleep(probe.get("initialDelaySeconds") or self.timing.ready)
                while True:
                    self.event(events.WARNING, "Unhealthy",
                               "Readiness probe failed: HTTP probe failed with statuscode: 503", run)
                    await self.sleep(period)
            delay = behaviour.ready_after
            if delay is None:
                if behaviour.exit_code is not None:
                    return  # a container told to exit (crashloop, oom, exit:N) is not Ready unless ready-after says
                probe = self.specs[run.name].get("readinessProbe") or {}
                delay = probe.get("initialDelaySeconds") or self.timing.ready
            await self.sleep(delay)
            if run.running:
                run.ready = True
                self.flush()
        except Gone:
            pass
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            log.exception("kubelet: readiness of %s/%s %s failed", self.namespace, self.name, run.name)

    def _stop(self, run: podstatus.ContainerRun, code: int, reason: str) -> None:
        started = (run.state.get("running") or {}).get("startedAt")
        run.state = {"terminated": {"exitCode": code, "reason": reason, "startedAt": started,
                                    "finishedAt": self.ctx.api.now(), "containerID": run.container_id}}
        run.ready = False
        run.started = False
        self.ctx.logbook.end(run.container_id)
        self.flush()

    def _back_off(self, run: podstatus.ContainerRun, delay: float) -> None:
        pod = f"{self.name}_{self.namespace}({self.uid})"
        if run.terminated is not None:
            run.last_state = {"terminated": run.terminated}
        run.state = {"waiting": {"reason": "CrashLoopBackOff",
                                 "message": f"back-off {go_duration(delay)} restarting failed container={run.name} "
                                            f"pod={pod}"}}
        self.event(events.WARNING, "BackOff", f"Back-off restarting failed container {run.name} in pod {pod}", run)
        self.flush()

    # --- deletion -------------------------------------------------------------------------------------

    async def _terminate(self) -> None:
        try:
            pod = self.pod()
            grace = pod["metadata"].get("deletionGracePeriodSeconds")
            running = [run for run in self.init + self.app if run.running]
            for run in running:
                self.event(events.NORMAL, "Killing", f"Stopping container {run.name}", run)
            stop = self.timing.stop if grace is None else min(self.timing.stop, float(grace))
            await self.sleep(stop)
            self.terminating = True
            for run in running:
                self._stop(run, 0, "Completed")
            self.sandbox = False
            self.flush()
            self.ctx.api.delete(self.kubelet.rt, self.namespace, self.name, grace_period=0,
                                preconditions={"uid": self.uid})
        except (Gone, statuses.ApiError):
            pass
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            log.exception("kubelet: stopping pod %s/%s failed", self.namespace, self.name)


__all__ = ["Backoff", "Kubelet", "PodWorker", "go_duration", "image_id", "normalized", "registry_host"]
