"""Running a release's hooks for one event: pre/post install, upgrade, rollback, delete.

Hooks run one at a time in weight order (the render sorted them). Each is
applied, tracked until ready (a Job until it completes, with its logs
streamed by the tracker) and its delete policies honoured:
before-hook-creation (the default) deletes the previous run's object first,
hook-succeeded and hook-failed delete it after. A failed hook stops the
event at once with `HookFailed`, carrying the tracker's verdict. As in Helm,
a hook whose wait was cancelled (SIGTERM, SIGINT) or broke (an API error)
has failed too: hook-failed deletes it before the cancel or the error goes
on to the rollback. Objects of hooks that succeeded before a later failure
stay unless hook-succeeded says otherwise (the next attempt's
before-hook-creation replaces them), as Helm leaves them.

Must not: print (the tracker's printer does) or decide what happens after a
failure (the action does: atomic rollback).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from deploykit import errors
from deploykit.charts.manifests import Hook
from deploykit.frozen import frozen
from deploykit.kube.client import Kube
from deploykit.kube.resources import ObjectRef
from deploykit.release import applying, cancelling, killpoints
from deploykit.track.tracking import TrackResult


@frozen
class HookRun:
    """One hook's outcome, as records and reports keep it."""

    event: str
    kind: str
    namespace: str | None
    name: str
    weight: int
    ok: bool
    seconds: float
    reason: str = ""


class HookFailed(errors.DeployFailedError):
    """A hook did not succeed; `track` is the tracker's verdict and `runs` what ran before."""

    def __init__(self, message: str, *, track: TrackResult | None, runs: list[HookRun], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.track = track
        self.runs = runs


def run(
    kube: Kube, hooks: Sequence[tuple[Hook, dict[str, Any]]], *, event: str,
    track: Callable[[list[dict]], TrackResult], wait: bool = True, runs: list[HookRun] | None = None,
) -> list[HookRun]:
    """Run the hooks of `event` (each with its stamped object) in order; raise HookFailed on the first failure.

    Each run is appended to `runs` (a new list unless given) as it ends, a cancelled one too: the caller sees
    every hook object written, whatever stopped the event."""
    runs = [] if runs is None else runs
    for hook, obj in hooks:
        if event not in hook.events:
            continue
        ref = ObjectRef.of(obj)
        started = time.monotonic()
        if "before-hook-creation" in hook.delete_policies:
            applying.delete_and_wait(kube, ref, propagation="Background", why="(the previous run's hook) was deleted")
        try:
            live = kube.apply(obj)
        except errors.KubeError as exc:
            runs.append(HookRun(event, ref.kind, ref.namespace, ref.name, hook.weight, False, 0.0, exc.message))
            raise HookFailed(f"{event} hook {ref.kind}/{ref.name} ({hook.manifest.template}) was refused: {exc.message}",
                             track=None, runs=runs) from exc
        killpoints.reached("hook")
        try:
            result = track([live]) if wait else None
        except (cancelling.Cancelled, errors.DeploykitError) as exc:  # as Helm: a hook whose wait broke has failed
            if isinstance(exc, cancelling.Cancelled):
                runs.append(HookRun(event, ref.kind, ref.namespace, ref.name, hook.weight, False,
                                    round(time.monotonic() - started, 3), "cancelled"))
            _delete_by_policy(kube, hook, ref, "hook-failed")
            raise
        ok = result.ok if result is not None else True
        reason = (result.failed.reason if result and result.failed else "") or ("timed out" if result and result.timed_out else "")
        runs.append(HookRun(event, ref.kind, ref.namespace, ref.name, hook.weight, ok,
                            round(time.monotonic() - started, 3), reason))
        if ok:
            _delete_by_policy(kube, hook, ref, "hook-succeeded")
        else:
            _delete_by_policy(kube, hook, ref, "hook-failed")
            raise HookFailed(f"{event} hook {ref.kind}/{ref.name} failed: {reason or 'not ready'}", track=result, runs=runs,
                             hint="the hook's logs are above; fix the hook or the values it runs with")
    return runs


def _delete_by_policy(kube: Kube, hook: Hook, ref: ObjectRef, policy: str) -> None:
    """Delete the hook's object when its delete policies name `policy`. A hook-failed delete runs after a cancel
    too (no safe point in it) and never hides the failure: an API error then leaves the object to the next run's
    before-hook-creation."""
    if policy not in hook.delete_policies:
        return
    try:
        kube.delete(ref, propagation="Background")
    except errors.KubeError:
        if policy != "hook-failed":
            raise
