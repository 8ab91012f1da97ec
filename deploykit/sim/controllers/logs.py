"""Container logs: what each container instance printed, and the pods/log endpoint that serves them.

Owns the lines of every container instance, keyed by its containerID as the
kubelet's log files are (the current instance and the crashed one before it),
and answering GET /api/v1/namespaces/{ns}/pods/{name}/log as the API server
and kubelet do: `container` (required when the pod has several, with the
real 400 message), `previous` (the last terminated instance, or the kubelet's
`previous terminated container "app" in pod "x" not found`), the kubelet's
400s for a container that has not started (`is waiting to start:
ContainerCreating`, `image can't be pulled`), `tailLines`, `sinceSeconds`,
`sinceTime`, `timestamps` (RFC 3339 with nanoseconds, zeros trimmed),
`limitBytes`, and `follow`, which streams new lines until that container
instance terminates or the pod goes. Must not decide what containers print:
the kubelet hands the lines over. Runs on the loop thread.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

from aiohttp import web

from deploykit.sim import statuses, times

MAX_LINES = 10_000  # per container instance, oldest dropped first
Obj = dict[str, Any]


class Instance:
    """The output of one container instance."""

    __slots__ = ("lines", "ended", "_changed")

    def __init__(self) -> None:
        self.lines: list[tuple[float, str]] = []
        self.ended = False
        self._changed: asyncio.Future[None] | None = None

    def add(self, at: float, lines: list[str]) -> None:
        self.lines.extend((at, line) for line in lines)
        if len(self.lines) > MAX_LINES:
            del self.lines[: len(self.lines) - MAX_LINES]
        self._wake()

    def end(self) -> None:
        self.ended = True
        self._wake()

    def _wake(self) -> None:
        if self._changed is not None and not self._changed.done():
            self._changed.set_result(None)
        self._changed = None

    async def changed(self, timeout: float) -> None:
        """Wait until lines are added or the instance ends (or `timeout` seconds pass)."""
        if self._changed is None or self._changed.done():
            self._changed = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait_for(asyncio.shield(self._changed), timeout)
        except asyncio.TimeoutError:
            pass


class LogBook:
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._instances: dict[str, Instance] = {}
        self._by_pod: dict[str, list[str]] = {}

    # --- the kubelet's side ---------------------------------------------------------------------------

    def begin(self, pod_uid: str, container_id: str, lines: list[str]) -> None:
        """A container instance started and printed `lines`."""
        instance = self._instances.setdefault(container_id, Instance())
        ids = self._by_pod.setdefault(pod_uid, [])
        if container_id not in ids:
            ids.append(container_id)
        # Keep a few instances per pod: the kubelet keeps only the current and the previous one per container.
        while len(ids) > 16:
            self._instances.pop(ids.pop(0), None)
        if lines:
            instance.add(self.clock(), lines)

    def end(self, container_id: str) -> None:
        instance = self._instances.get(container_id)
        if instance is not None:
            instance.end()

    def forget(self, pod_uid: str) -> None:
        """The pod is gone: its instances end (followers stop) and are dropped."""
        for container_id in self._by_pod.pop(pod_uid, []):
            instance = self._instances.pop(container_id, None)
            if instance is not None:
                instance.end()

    # --- the endpoint ---------------------------------------------------------------------------------

    async def serve(self, request: web.Request, pod: Obj) -> web.StreamResponse:
        options = _Options.parse(request.query)
        container = _pick_container(pod, options.container)
        if not (pod.get("spec") or {}).get("nodeName"):
            return web.Response(text="", content_type="text/plain")
        container_id = _instance_id(pod, container, previous=options.previous)
        instance = self._instances.get(container_id)
        if instance is None:
            return web.Response(text="", content_type="text/plain")
        selected = _select(instance.lines, options, now=self.clock())
        text = "".join(options.render(at, line) for at, line in selected)
        if not options.follow or instance.ended:
            return web.Response(body=options.limit(text.encode()), content_type="text/plain")
        response = web.StreamResponse(headers={"Content-Type": "text/plain", "Cache-Control": "no-cache"})
        response.enable_chunked_encoding()
        try:
            await response.prepare(request)
            budget = options.limit_bytes
            sent = len(instance.lines)
            chunk = text.encode()
            while True:
                if chunk:
                    if budget is not None:
                        chunk = chunk[:budget]
                        budget -= len(chunk)
                    await response.write(chunk)
                    if budget is not None and budget <= 0:
                        break
                if instance.ended and sent >= len(instance.lines):
                    break
                if sent >= len(instance.lines):
                    await instance.changed(timeout=1.0)
                    transport = request.transport
                    if transport is None or transport.is_closing():
                        break  # the client went away
                fresh = instance.lines[sent:]
                sent = len(instance.lines)
                chunk = "".join(options.render(at, line) for at, line in fresh).encode()
            await response.write_eof()
        except ConnectionResetError:
            pass  # the client stopped following (Ctrl-C on `kubectl logs -f`)
        return response


class _Options:
    __slots__ = ("container", "follow", "previous", "timestamps", "tail_lines", "since_seconds", "since_time",
                 "limit_bytes")

    @classmethod
    def parse(cls, query: Any) -> "_Options":
        self = cls()
        self.container = query.get("container") or None
        self.follow = _flag(query, "follow")
        self.previous = _flag(query, "previous")
        self.timestamps = _flag(query, "timestamps")
        self.tail_lines = _int(query, "tailLines")
        self.since_seconds = _int(query, "sinceSeconds")
        self.limit_bytes = _int(query, "limitBytes")
        since_time = query.get("sinceTime")
        self.since_time = times.parse(since_time) if since_time else None
        causes = []
        if self.tail_lines is not None and self.tail_lines < 0:
            causes.append(statuses.invalid_value("tailLines", self.tail_lines, "must be greater than or equal to 0"))
        if self.since_seconds is not None and self.since_seconds < 1:
            causes.append(statuses.invalid_value("sinceSeconds", self.since_seconds, "must be greater than 0"))
        if self.limit_bytes is not None and self.limit_bytes < 1:
            causes.append(statuses.invalid_value("limitBytes", self.limit_bytes, "must be greater than 0"))
        if since_time and self.since_time is None:
            causes.append(statuses.invalid_value("sinceTime", since_time, "must be an RFC 3339 time"))
        if self.since_seconds is not None and since_time:
            causes.append(statuses.forbidden_field("", "at most one of `sinceTime` or `sinceSeconds` may be specified"))
        if causes:
            raise statuses.invalid("", "PodLogOptions", "", causes)
        return self

    def render(self, at: float, line: str) -> str:
        return f"{times.rfc3339_nano(at)} {line}\n" if self.timestamps else f"{line}\n"

    def limit(self, raw: bytes) -> bytes:
        return raw[: self.limit_bytes] if self.limit_bytes is not None else raw


def _flag(query: Any, name: str) -> bool:
    value = query.get(name)
    return value is not None and value.lower() in ("true", "1", "")


def _int(query: Any, name: str) -> int | None:
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise statuses.bad_request(f"{name}: invalid value {value!r}: must be a whole number") from None


def _select(lines: list[tuple[float, str]], options: _Options, *, now: float) -> list[tuple[float, str]]:
    since = options.since_time
    if options.since_seconds is not None:
        since = now - options.since_seconds
    if since is not None:
        lines = [item for item in lines if item[0] >= since]
    if options.tail_lines is not None:
        lines = lines[len(lines) - options.tail_lines:] if options.tail_lines else []
    return lines


def _names(containers: Any) -> list[str]:
    return [c.get("name", "") for c in containers or ()]


def _pick_container(pod: Obj, container: str | None) -> str:
    """The container a request names, or the API server's 400 when it must name one."""
    spec = pod.get("spec") or {}
    name = pod["metadata"]["name"]
    app, init = _names(spec.get("containers")), _names(spec.get("initContainers"))
    ephemeral = _names(spec.get("ephemeralContainers"))
    if not container:
        if len(app) == 1:
            return app[0]
        if not app:
            raise statuses.bad_request(f"a container name must be specified for pod {name}")
        message = f"a container name must be specified for pod {name}, choose one of: [{' '.join(app)}]"
        if init:
            message += f" or one of the init containers: [{' '.join(init)}]"
        raise statuses.bad_request(message)
    if container not in app + init + ephemeral:
        raise statuses.bad_request(f"container {container} is not valid for pod {name}")
    return container


def _instance_id(pod: Obj, container: str, *, previous: bool) -> str:
    """Which container instance's log a request reads (the kubelet's validateContainerLogStatus)."""
    name = pod["metadata"]["name"]
    status = pod.get("status") or {}
    entry = next((c for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses")
                  for c in status.get(key) or () if c.get("name") == container), None)
    if entry is None:
        raise statuses.bad_request(f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating')
    state, last = entry.get("state") or {}, (entry.get("lastState") or {}).get("terminated") or {}
    if previous:
        if not last.get("containerID"):
            raise statuses.bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
        return last["containerID"]
    if "running" in state:
        return entry.get("containerID", "")
    if "terminated" in state:
        if state["terminated"].get("containerID"):
            return state["terminated"]["containerID"]
        if last.get("containerID"):
            return last["containerID"]
        raise statuses.bad_request(f'container "{container}" in pod "{name}" is terminated')
    if last:
        if not last.get("containerID"):
            raise statuses.bad_request(f'container "{container}" in pod "{name}" is terminated')
        return last["containerID"]
    waiting = state.get("waiting") or {}
    reason = waiting.get("reason")
    if reason == "ErrImagePull":
        why = "image can't be pulled"
    elif reason == "ImagePullBackOff":
        why = "trying and failing to pull image"
    elif reason:
        why = reason
    else:
        raise statuses.bad_request(f'container "{container}" in pod "{name}" is waiting to start - no logs yet')
    raise statuses.bad_request(f'container "{container}" in pod "{name}" is waiting to start: {why}')


__all__ = ["LogBook", "MAX_LINES"]
