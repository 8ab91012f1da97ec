"""Writes that a 5xx or a lost answer must not fail: the release lock and record creation, over real HTTP."""

from __future__ import annotations

from deploykit.kube.client import Kube
from deploykit.kube.connecting import connect
from deploykit.kube.requesting import RetryPolicy
from deploykit.kube.resources import ObjectRef
from deploykit.release.locking import ReleaseLock
from deploykit.release.storage import RecordStore
from deploykit.sim.faults import Faults
from tests.integration.release.test_storage import record
from tests.plugins.sim import create_namespace

# deterministic: one client thread, a fixed seed
REFUSING = Faults(error_rate=0.3, error_codes=(500, 503), seed=7)


def _faulty_kube(sim_factory) -> tuple[Kube, str]:
    handle = sim_factory(faults=REFUSING)
    create_namespace(handle.url, "app")
    return Kube(connect(kubeconfig=handle.kubeconfig), retry=RetryPolicy(attempts=8, base_delay=0.01)), "app"


def test_the_release_lock_is_taken_and_given_back_through_500_and_503_answers(sim_factory):
    """A 500 or 503 on creating the Lease would fail the deploy (exit 3) before anything was applied."""
    kube, namespace = _faulty_kube(sim_factory)
    for n in range(6):
        lock = ReleaseLock(kube, namespace, "app", identity=f"run/{n}", timeout=5, poll=0.05)
        lock.acquire()
        assert lock.held
        lock.release()
    assert kube.get(ObjectRef("coordination.k8s.io/v1", "Lease", namespace, "deploykit.release.app")) is None


def test_records_are_created_through_500_and_503_answers(sim_factory):
    """A 500 or 503 on writing the pending record would fail a deploy that the next try would have done."""
    kube, namespace = _faulty_kube(sim_factory)
    store = RecordStore(kube, namespace)
    for revision in range(1, 7):
        store.create(record(namespace, revision, status="superseded"))
    assert [s.revision for s in store.history("web")] == [1, 2, 3, 4, 5, 6]


def test_a_record_create_whose_answer_was_lost_is_not_taken_for_another_runs(sim_kube, sim_namespace):
    """A retried create that had landed would be reported as a concurrent deploy and fail the run."""
    store = RecordStore(sim_kube, sim_namespace)
    written = record(sim_namespace, 1, status="pending-install")
    store.create(written)
    store.create(written)  # what a retry after a lost answer sends: the same payload
    assert [(s.revision, str(s.status)) for s in store.history("web")] == [(1, "pending-install")]


def test_a_lease_create_whose_answer_was_lost_is_held_not_waited_for(sim_kube, sim_namespace):
    """A retried Lease create that had landed would make the run wait for its own lock, then fail naming itself."""
    from datetime import datetime, timezone

    lock = ReleaseLock(sim_kube, sim_namespace, "app", identity="run/1", timeout=1, poll=0.05)
    sim_kube.create(lock._body(None, datetime.now(timezone.utc)))  # the first attempt, whose answer never came
    assert lock.acquire() is None and lock.held
    assert lock.release() is True
