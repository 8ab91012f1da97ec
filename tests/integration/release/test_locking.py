"""The release lock (a Lease per release) against the simulator over real HTTP."""

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from deploykit import errors
from deploykit.kube.resources import ObjectRef
from deploykit.release import locking
from deploykit.release.locking import ReleaseLock


def lock(kube, namespace, identity, **options):
    options.setdefault("poll", 0.05)
    return ReleaseLock(kube, namespace, "web", identity=identity, **options)


def lease(kube, namespace):
    return kube.get(ObjectRef("coordination.k8s.io/v1", "Lease", namespace, "deploykit.release.web"))


def test_a_free_lock_is_taken_and_shows_its_holder(sim_kube, sim_namespace):
    """`kubectl get lease` would not show which run deploys the release, or the lock would not be taken."""
    with lock(sim_kube, sim_namespace, "ci-7/31/https://gitlab.example.com/jobs/812", duration=20) as held:
        assert held.held and held.taken_over is None
        spec = lease(sim_kube, sim_namespace)["spec"]
        assert spec["holderIdentity"] == "ci-7/31/https://gitlab.example.com/jobs/812"
        assert spec["leaseDurationSeconds"] == 20
    assert lease(sim_kube, sim_namespace) is None


def test_two_lockers_never_both_hold(sim_kube, sim_namespace):
    """Two CI jobs deploying the same release at once would interleave their applies and records."""
    inside, most, failures = [0], [0], []
    guard = threading.Lock()

    def run(n):
        try:
            with lock(sim_kube, sim_namespace, f"runner/{n}", timeout=30):
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.05)
                with guard:
                    inside[0] -= 1
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == [] and most[0] == 1


def test_the_second_locker_waits_then_gets_the_lock_after_release(sim_kube, sim_namespace):
    """A second deploy would fail at once instead of waiting for the first to finish."""
    first = lock(sim_kube, sim_namespace, "first")
    first.acquire()
    waited = []
    second = lock(sim_kube, sim_namespace, "second", timeout=10, on_wait=waited.append)
    threading.Timer(0.3, first.release).start()
    started = time.monotonic()
    assert second.acquire() is None
    assert time.monotonic() - started >= 0.25
    assert [holder.identity for holder in waited] == ["first"]
    assert lease(sim_kube, sim_namespace)["spec"]["holderIdentity"] == "second"
    second.release()


def test_waiting_times_out_naming_the_holder_and_since_when(sim_kube, sim_namespace):
    """A blocked deploy would hang, or fail without saying which run holds the release."""
    with lock(sim_kube, sim_namespace, "ci-7/31/https://gitlab.example.com/jobs/812") as first:
        with pytest.raises(errors.LockedError) as caught:
            lock(sim_kube, sim_namespace, "second", timeout=0.3).acquire()
        acquired = first._lease["spec"]["acquireTime"]
    message = caught.value.message
    assert message.startswith(f"release web in namespace {sim_namespace} is locked by "
                              f"ci-7/31/https://gitlab.example.com/jobs/812 since {acquired}")
    assert "lock timeout" in caught.value.hint and "expires 30s after its last renewal" in caught.value.hint


def test_an_expired_lease_of_a_killed_run_is_taken_over_and_reported(sim_kube, sim_namespace):
    """A deploy killed mid-way would block the release forever ("another operation is in progress")."""
    old = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sim_kube.create({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                     "metadata": {"name": "deploykit.release.web", "namespace": sim_namespace},
                     "spec": {"holderIdentity": "ci-3/17/https://gitlab.example.com/jobs/700",
                              "leaseDurationSeconds": 30, "acquireTime": old, "renewTime": old}})
    taker = lock(sim_kube, sim_namespace, "ci-4/9", timeout=2)
    replaced = taker.acquire()
    assert replaced == locking.Holder("ci-3/17/https://gitlab.example.com/jobs/700", old, old, 30)
    assert taker.taken_over == replaced
    spec = lease(sim_kube, sim_namespace)["spec"]
    assert (spec["holderIdentity"], spec["leaseTransitions"]) == ("ci-4/9", 1)
    taker.release()


def test_renewal_keeps_the_lock_past_its_duration(sim_kube, sim_namespace):
    """A deploy longer than the lease duration would have its lock taken over by the next run mid-deploy."""
    with lock(sim_kube, sim_namespace, "long-deploy", duration=2) as held:
        first_renewal = lease(sim_kube, sim_namespace)["spec"]["renewTime"]
        time.sleep(2.6)
        with pytest.raises(errors.LockedError):
            lock(sim_kube, sim_namespace, "next", timeout=0.5).acquire()
        assert lease(sim_kube, sim_namespace)["spec"]["renewTime"] > first_renewal
        assert not held.lost
        held.check()


def test_a_lock_taken_over_while_held_is_reported_lost(sim_kube, sim_namespace):
    """A run whose lock was taken over would keep writing records over the new holder's."""
    held = lock(sim_kube, sim_namespace, "paused-run", duration=1)
    held.acquire()
    live = lease(sim_kube, sim_namespace)
    live["spec"]["holderIdentity"] = "intruder"
    live["metadata"]["annotations"] = {}
    sim_kube.replace(live)
    deadline = time.monotonic() + 5
    while not held.lost and time.monotonic() < deadline:
        time.sleep(0.05)
    with pytest.raises(errors.LockLostError) as caught:
        held.check()
    assert "taken over by intruder" in caught.value.message and caught.value.hint
    assert held.release() is False
    assert lease(sim_kube, sim_namespace)["spec"]["holderIdentity"] == "intruder"


def test_release_stops_the_renewal_thread(sim_kube, sim_namespace):
    """A released lock would keep renewing (recreating or updating the Lease) in the background."""
    held = lock(sim_kube, sim_namespace, "short", duration=1)
    held.acquire()
    assert held.release() is True
    time.sleep(0.6)
    assert lease(sim_kube, sim_namespace) is None
    assert not any(thread.name == "lease-deploykit.release.web" and thread.is_alive()
                   for thread in threading.enumerate())


def test_a_lease_never_renewed_while_watched_is_taken_over_whatever_its_clock_says(sim_kube, sim_namespace):
    """A killed run whose clock ran ahead (renewTime in the future) would block the release until that time."""
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sim_kube.create({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                     "metadata": {"name": "deploykit.release.web", "namespace": sim_namespace},
                     "spec": {"holderIdentity": "skewed/1", "leaseDurationSeconds": 1, "renewTime": future}})
    taker = lock(sim_kube, sim_namespace, "next", timeout=5)
    started = time.monotonic()
    assert taker.acquire().identity == "skewed/1"
    assert 1.0 <= time.monotonic() - started < 4
    taker.release()
