"""Lease holders as data: who holds a release lock and whether their lease has expired."""

from datetime import datetime, timezone

from deploykit.release.locking import Holder, lease_name

NOW = datetime(2026, 12, 4, 22, 30, 0, tzinfo=timezone.utc)


def lease(**spec):
    return {"metadata": {"name": "deploykit.release.web"}, "spec": spec}


def test_a_lease_renewed_longer_ago_than_its_duration_is_expired():
    """The lock of a killed run would never be taken over, blocking the release forever."""
    holder = Holder.of(lease(holderIdentity="ci/1", leaseDurationSeconds=30, renewTime="2026-12-04T22:29:29.000000Z"))
    assert holder.expired(NOW)


def test_a_lease_renewed_within_its_duration_is_not_expired():
    """A running deploy's lock would be taken over by the next run mid-deploy."""
    holder = Holder.of(lease(holderIdentity="ci/1", leaseDurationSeconds=30, renewTime="2026-12-04T22:29:31.5Z"))
    assert not holder.expired(NOW)


def test_a_lease_without_times_uses_the_default_duration_and_never_expires_by_the_clock():
    """A Lease written by another tool without times would be taken over at once, or crash the lock."""
    holder = Holder.of(lease(holderIdentity="other-tool"))
    assert (holder.identity, holder.duration, holder.acquired, holder.renewed) == ("other-tool", 30, "", "")
    assert not holder.expired(NOW)


def test_the_acquire_time_stands_in_for_a_missing_renew_time():
    """A Lease taken but never renewed by its killed holder would never expire."""
    holder = Holder.of(lease(holderIdentity="ci/1", leaseDurationSeconds=10, acquireTime="2026-12-04T20:00:00.000000Z"))
    assert holder.renewed == "2026-12-04T20:00:00.000000Z" and holder.expired(NOW)


def test_the_lease_is_named_after_the_release():
    """`kubectl get lease deploykit.release.web` would not find the lock the docs name."""
    assert lease_name("web") == "deploykit.release.web"
