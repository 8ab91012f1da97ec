"""The release lock: one Lease (coordination.k8s.io/v1) per release, in the release's namespace.

Owns `ReleaseLock`: take the Lease `deploykit.release.<release>` (holder
`host/pid/CI job URL`), keep it renewed from a background thread every third
of its duration, give it back by deleting it. Every write carries the
resourceVersion last seen (optimistic concurrency), so two runs can never
both hold it. A held lock is waited for until the lock timeout (the caller's
`on_wait` hears who holds it), then refused with `errors.LockedError`. A lock
whose holder stopped renewing it (a killed run: renewTime + duration in the
past, or no renewal seen for a whole duration) is taken over; `taken_over`
names that holder so the engine can warn and mark its pending record failed.
A lock lost while held (renewal refused because another run took it, or
impossible for a whole duration) sets `lost`; `check()` raises
`errors.LockLostError`, and the engine calls it before every write.

Must not: print (callers get the holder through `on_wait`), touch records,
or delete a Lease it does not hold.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.kube.client import Kube
from deploykit.kube.resources import ObjectRef
from deploykit.release import cancelling, deployers

DEFAULT_DURATION = 30
DEFAULT_TIMEOUT = 300.0
# Our own mark on a lease we hold: tells a retried write that already landed from another run's write.
TOKEN = "deploykit.io/lock-token"


def lease_name(release: str) -> str:
    """`deploykit.release.<release>`: the Lease that locks one release."""
    return f"deploykit.release.{release}"


def _micro_time(at: datetime) -> str:
    """metav1.MicroTime, as Lease times are written: `2026-12-04T22:18:01.123456Z`."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(text: object) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@frozen
class Holder:
    """Who holds a release lock, since when, last renewed when, for how long each renewal counts."""

    identity: str
    acquired: str
    renewed: str
    duration: int

    @classmethod
    def of(cls, lease: dict) -> Holder:
        spec = lease.get("spec") or {}
        duration = spec.get("leaseDurationSeconds")
        return cls(
            identity=spec.get("holderIdentity") or "", acquired=spec.get("acquireTime") or "",
            renewed=spec.get("renewTime") or spec.get("acquireTime") or "",
            duration=duration if isinstance(duration, int) and duration > 0 else DEFAULT_DURATION,
        )

    def expired(self, now: datetime) -> bool:
        """True when the last renewal is older than the duration (a lease without a renewal time never expires here)."""
        renewed = _parse_time(self.renewed)
        return renewed is not None and renewed + timedelta(seconds=self.duration) < now


def holder(kube: Kube, namespace: str, release: str) -> Holder | None:
    """Who holds the release's lock now (a Lease left by a killed run included); None when it is free."""
    lease = kube.get(ObjectRef("coordination.k8s.io/v1", "Lease", namespace, lease_name(release)))
    return Holder.of(lease) if lease is not None else None


class ReleaseLock:
    """The lock of one release; `with ReleaseLock(kube, namespace, release): ...` holds it for the block."""

    def __init__(
        self, kube: Kube, namespace: str, release: str, *, identity: str | None = None,
        duration: int = DEFAULT_DURATION, timeout: float = DEFAULT_TIMEOUT,
        on_wait: Callable[[Holder], None] | None = None, poll: float = 1.0,
    ) -> None:
        if duration < 1:
            raise ValueError("lease duration must be at least 1 second")
        self.kube = kube
        self.namespace = namespace
        self.release_name = release
        self.identity = identity or deployers.current_lock_identity()
        self.duration = duration
        self.timeout = timeout
        self.on_wait = on_wait
        self.poll = poll
        self.ref = ObjectRef("coordination.k8s.io/v1", "Lease", namespace, lease_name(release))
        self.taken_over: Holder | None = None
        self._token = uuid.uuid4().hex
        self._lease: dict | None = None
        self._mutex = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._lost: str | None = None

    # -- public -------------------------------------------------------------
    @property
    def held(self) -> bool:
        return self._lease is not None and self._lost is None

    @property
    def lost(self) -> bool:
        """True once the lock was lost while held: another run may be deploying the release now."""
        return self._lost is not None

    def check(self) -> None:
        """Raise LockLostError if the lock was lost; the engine calls this before every write."""
        if self._lost is not None:
            raise errors.LockLostError(
                f"lost the lock of release {self.release_name} in namespace {self.namespace}: {self._lost}",
                hint="another run may be deploying this release now; this run stopped before writing. Check "
                f"`deploykit history {self.release_name} -n {self.namespace}` and deploy again",
            )

    def acquire(self) -> Holder | None:
        """Take the lock, waiting up to the timeout; returns the holder it took over from a killed run, if any."""
        if self._lease is not None:
            raise RuntimeError(f"the lock of release {self.release_name} is already held by this ReleaseLock")
        self._lost, self.taken_over = None, None
        deadline = time.monotonic() + self.timeout
        seen_version, seen_since, announced = None, time.monotonic(), None
        while True:
            lease = self.kube.get(self.ref)
            if lease is None:
                self.taken_over = None
                if self._try_write(None):
                    return None
                continue
            if (lease["metadata"].get("annotations") or {}).get(TOKEN) == self._token:
                self._hold(lease)  # our write landed though its answer was lost (a retried 5xx or a cut connection)
                return self.taken_over
            holder = Holder.of(lease)
            if lease["metadata"].get("resourceVersion") != seen_version:
                seen_version, seen_since = lease["metadata"].get("resourceVersion"), time.monotonic()
            # A holder whose clock runs ahead still loses the lock once no renewal has been seen for its duration.
            silent = time.monotonic() - seen_since > holder.duration
            stale = bool(holder.identity) and (holder.expired(datetime.now(timezone.utc)) or silent)
            if not holder.identity or stale:
                self.taken_over = holder if stale else None
                if self._try_write(lease):
                    return self.taken_over
                continue
            if time.monotonic() >= deadline:
                raise self._locked(holder)
            cancelling.check()  # a cancelled run stops waiting: it holds nothing yet
            if self.on_wait is not None and announced != holder.identity:
                announced = holder.identity
                self.on_wait(holder)
            time.sleep(max(0.0, min(self.poll, deadline - time.monotonic())))

    def release(self) -> bool:
        """Stop renewing and delete the Lease if still ours; True if it was deleted (a failure is left to expiry)."""
        if self._lease is None:
            return False
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        with self._mutex:
            lease, self._lease = self._lease, None
        if self._lost is not None:
            return False
        try:
            return self.kube.delete(self.ref, resource_version=lease["metadata"]["resourceVersion"])
        except errors.KubeError:  # changed since (no longer ours) or unreachable: it expires by itself
            return False

    def __enter__(self) -> ReleaseLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()

    # -- internals ----------------------------------------------------------
    def _locked(self, holder: Holder) -> errors.LockedError:
        since = f" since {holder.acquired}" if holder.acquired else ""
        renewed = f", last renewed {holder.renewed}" if holder.renewed else ""
        return errors.LockedError(
            f"release {self.release_name} in namespace {self.namespace} is locked by {holder.identity}{since}"
            f"{renewed}; waited {self.timeout:g}s",
            hint="another deploykit run is deploying this release; wait for it to finish or raise the lock timeout. "
            f"A killed run's lock expires {holder.duration}s after its last renewal and is then taken over",
        )

    def _body(self, lease: dict | None, now: datetime) -> dict:
        body = copy.deepcopy(lease) if lease else {
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": self.ref.name, "namespace": self.namespace,
                         "labels": {"owner": "deploykit", "name": self.release_name}},
            "spec": {},
        }
        body["metadata"].setdefault("annotations", {})[TOKEN] = self._token
        transitions = body["spec"].get("leaseTransitions") or 0
        body["spec"].update(
            holderIdentity=self.identity, leaseDurationSeconds=self.duration, acquireTime=_micro_time(now),
            renewTime=_micro_time(now), leaseTransitions=transitions + 1 if lease else 0,
        )
        return body

    def _try_write(self, lease: dict | None) -> bool:
        """Create the Lease (lease None) or take over `lease` at its resourceVersion; False if another run won."""
        body = self._body(lease, datetime.now(timezone.utc))
        try:
            written = self.kube.replace(body) if lease else self.kube.create(body, retry=True)
        except errors.ApiNotFoundError as exc:
            if lease is None:  # nothing to race for: the namespace itself is missing
                raise errors.KubeError(
                    f"cannot lock release {self.release_name}: namespace {self.namespace} does not exist",
                    hint="create it, or pass --create-namespace", status=404,
                ) from exc
            return False
        except errors.ApiConflictError:
            return False
        self._hold(written)
        return True

    def _hold(self, written: dict) -> None:
        self._lease = written
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew_loop, name=f"lease-{self.ref.name}", daemon=True)
        self._renewer.start()

    def _renew_loop(self) -> None:
        last_renewal = time.monotonic()
        while not self._stop.wait(self.duration / 3):
            try:
                self._renew()
            except (errors.ApiConflictError, errors.ApiNotFoundError):
                self._lose_unless_ours()
                if self._lost is not None:
                    return
            except errors.KubeError:
                if time.monotonic() - last_renewal >= self.duration:
                    self._lost = f"it could not be renewed for {self.duration}s (the API server did not answer)"
                    return
                continue
            last_renewal = time.monotonic()

    def _renew(self) -> None:
        with self._mutex:
            if self._lease is None:
                return
            body = copy.deepcopy(self._lease)
            body["spec"]["renewTime"] = _micro_time(datetime.now(timezone.utc))
            self._lease = self.kube.replace(body)

    def _lose_unless_ours(self) -> None:
        """After a refused renewal: a retried write of ours may have landed; otherwise another run holds the lease."""
        try:
            lease = self.kube.get(self.ref)
        except errors.KubeError:
            return  # try again at the next renewal
        if lease is not None and (lease["metadata"].get("annotations") or {}).get(TOKEN) == self._token:
            with self._mutex:
                if self._lease is not None:
                    self._lease = lease
            return
        holder = Holder.of(lease).identity if lease else ""
        self._lost = f"it was taken over by {holder}" if holder else "its Lease was deleted"
