"""The shared core of install, upgrade and rollback: deploy one revision, and restore the last one on failure.

`deploy` runs the phases after the plan, in order: crds/ CRDs, pre hooks,
apply, track, post hooks, prune. Any failure after the first write (a
refused apply, a failed hook, a tracking verdict, a timeout, SIGTERM from a
cancelled CI job) raises `AttemptFailed` carrying what was written, so that
`restore` can re-apply the last deployed revision (with force: drift is
corrected too), delete what the failed attempt created, and track the
restored objects until ready. Without a previous revision, `restore`
removes everything the attempt created.

Must not: print (it reports through `say` and the tracker's printer), read
records or take the lock (the actions do).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from collections.abc import Callable, Sequence
from typing import Any

from deploykit import errors
from deploykit.kube.client import Kube
from deploykit.kube.resources import ObjectRef
from deploykit.release import applying, cancelling, hooks, sharedcrds
from deploykit.release.cancelling import Cancelled
from deploykit.release.plans import UNCHANGED, UPDATE, Operation
from deploykit.release.results import Failure, Say, Timer
from deploykit.release.revisions import Revision
from deploykit.report import model
from deploykit.track.tracking import TrackResult

Track = Callable[[list[dict[str, Any]]], TrackResult]


class AttemptFailed(Exception):
    """A deploy attempt failed after writing: what failed and what it had written."""

    def __init__(self, failure: Failure, *, applied: applying.Applied, hook_runs: list[hooks.HookRun],
                 cancelled: Cancelled | None = None, track: TrackResult | None = None,
                 applied_at: str | None = None) -> None:
        super().__init__(failure.describe())
        self.failure = failure
        self.applied = applied
        self.hook_runs = hook_runs
        self.cancelled = cancelled
        self.track = track  # the tracker's per-object results of the failed attempt, for the report
        self.applied_at = applied_at


@dataclasses.dataclass
class Attempt:
    applied: applying.Applied
    hook_runs: list[hooks.HookRun]
    track: TrackResult | None
    applied_at: str | None = None


def stamp() -> str:
    """Now, as reports write times: `2026-12-04T23:45:53.120Z`."""
    return model.utc_stamp(datetime.now(timezone.utc))


def tracker(kube: Kube, *, printer: Any, timeout: float, show_logs: bool = True) -> Track:
    """The `track(objects)` the actions take: the tracker with this printer, masking the Secrets pods reference."""
    from deploykit.secrets import kubesecrets
    from deploykit.track.tracking import Tracker, TrackOptions

    # a cancelled run stops tracking at once; the rollback's tracking is shielded (cancelling.shielded)
    options = TrackOptions(timeout=timeout, show_logs=show_logs, checkpoint=cancelling.check)
    return lambda objects: Tracker(kube, printer=printer, options=options, on_secret=kubesecrets.register).track(objects)


def deploy(
    kube: Kube, revision: Revision, operations: list[Operation], *, event: str, track: Track, wait: bool,
    timer: Timer, say: Say, crds: Sequence[Operation] = (),
) -> Attempt:
    """Run every phase after the plan; raise AttemptFailed (with what was written) on any failure.

    The crds/ CRDs (`crds`, planned by sharedcrds) are applied first and never counted as created: no cleanup
    deletes them.
    """
    applied = applying.Applied()
    runs: list[hooks.HookRun] = []
    phase = "crds"
    try:
        cancelling.check()
        if any(op.action != UNCHANGED for op in crds):
            say(f"applying {sum(op.action != UNCHANGED for op in crds)} CRD(s) from crds/ (shared, never deleted)")
            with timer.phase("crds"):
                applied.writes += sharedcrds.apply(kube, crds, revision.crds_by_key)
        phase = "pre-hooks"
        with timer.phase("hooks"):
            hooks.run(kube, revision.hooks, event=f"pre-{event}", track=track, wait=wait, runs=runs)
        phase = "apply"
        cancelling.check()
        say(f"applying {sum(op.action not in ('unchanged', 'prune') for op in operations)} object(s) (server-side, field manager deploykit)")
        with timer.phase("apply"):
            applying.apply(kube, operations, revision.by_key, applied=applied)
        phase = "track"
        cancelling.check()
        result = None
        applied_at = stamp()
        if wait:
            # Unchanged objects are tracked too: a run killed after its apply left them as planned, not ready.
            tracked = applied.objects + [revision.by_key[op.key].obj for op in operations
                                         if op.action == UNCHANGED and op.key in revision.by_key]
            with timer.phase("track"):
                result = track(tracked) if tracked else None
            if result is not None and not result.ok:
                raise AttemptFailed(Failure.from_track("track", result, "not ready"), applied=applied, hook_runs=runs,
                                    track=result, applied_at=applied_at)
        phase = "post-hooks"
        cancelling.check()
        with timer.phase("hooks"):
            hooks.run(kube, revision.hooks, event=f"post-{event}", track=track, wait=wait, runs=runs)
        phase = "prune"
        cancelling.check()
        with timer.phase("prune"):
            applying.prune(kube, operations, applied=applied)
        return Attempt(applied=applied, hook_runs=runs, track=result, applied_at=applied_at)
    except hooks.HookFailed as exc:
        failure = Failure.from_track(phase, exc.track, exc.message)
        raise AttemptFailed(failure if failure.object else dataclasses.replace(failure, reason=exc.message),
                            applied=applied, hook_runs=runs, track=exc.track) from exc
    except applying.ApplyFailed as exc:
        raise AttemptFailed(Failure(phase="apply", reason=exc.message), applied=applied, hook_runs=runs) from exc
    except errors.KubeError as exc:
        raise AttemptFailed(Failure(phase=phase, reason=exc.message), applied=applied, hook_runs=runs) from exc
    except Cancelled as exc:
        raise AttemptFailed(Failure(phase="cancelled", reason=f"cancelled by {exc.name} during {phase}"),
                            applied=applied, hook_runs=runs, cancelled=exc) from None


@dataclasses.dataclass
class Restored:
    deleted: list[str]
    track: TrackResult | None
    writes: int


def restore(
    kube: Kube, previous: Revision | None, applied: applying.Applied, *, track: Track, wait: bool, say: Say,
) -> Restored:
    """Re-apply the previous revision (force) and delete what the failed attempt created; track the result."""
    keep = set(previous.by_key) if previous else set()
    created = [ref for key, ref in applied.created.items() if key not in keep]
    restored = applying.Applied()
    if previous is not None:
        say(f"rolling back: re-applying revision {previous.options.revision} ({len(previous.desired)} objects)")
        operations = [Operation(UPDATE, item.ref.api_version, item.ref.kind, item.ref.namespace, item.ref.name)
                      for item in previous.desired]
        # what the failed attempt replaced (an immutable field changed) is replaced back
        applying.apply(kube, operations, previous.by_key, applied=restored, replace_immutable=True)
    deleted = applying.delete_created(kube, created)
    if deleted:
        say("deleted what the failed attempt created: " + ", ".join(str(ref) for ref in deleted))
    result = track(restored.objects) if wait and restored.objects else None
    return Restored(deleted=[str(ref) for ref in deleted], track=result, writes=restored.writes + len(deleted))
