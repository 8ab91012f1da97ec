"""Chunking round trips: a record of any size, stored in parts in the simulator and rewritten, reads back the same.

Parts are made small here (records.split with a 256-byte part), so generated
records of a few KiB span from one to dozens of Secrets; the code under test
is the real RecordStore over real HTTP.
"""

import dataclasses
import functools
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deploykit.release import records
from deploykit.release.storage import RecordStore
from tests.integration.release.test_storage import secrets
from tests.unit.release.test_records import record_strategy

PART = 256
blobs = st.dictionaries(st.sampled_from(["files/a.bin", "files/b.bin"]), st.binary(min_size=0, max_size=PART * 12),
                        max_size=2)


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(records, "split", functools.partial(records.split, size=PART))


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=record_strategy, files=blobs, later=blobs,
       status=st.sampled_from([records.Status.DEPLOYED, records.Status.FAILED, records.Status.SUPERSEDED]))
def test_a_record_of_any_size_reads_back_the_same_after_every_rewrite(small_parts, sim_kube, sim_namespace, record,
                                                                     files, later, status):
    """A record of an unlucky size, or one rewritten to a different number of parts, would read back damaged
    or leave stale part Secrets behind."""
    store = RecordStore(sim_kube, sim_namespace)
    name = f"r{uuid.uuid4().hex[:10]}"
    first = dataclasses.replace(record, name=name, namespace=sim_namespace, chart_files=files)
    store.create(first)
    assert store.get(name, first.revision) == first
    rewritten = dataclasses.replace(first, chart_files=later)
    store.replace(rewritten)
    updated = store.update_status(name, first.revision, status, description="rewritten", updated=first.updated)
    assert store.get(name, first.revision) == updated == rewritten.with_status(status, updated=first.updated,
                                                                                description="rewritten")
    parts = secrets(sim_kube, sim_namespace, f"owner=deploykit-part,name={name}")
    assert len(parts) == len(records.split(records.encode(updated))) - 1
    assert store.delete(name, first.revision) is True
    assert secrets(sim_kube, sim_namespace, f"name={name}") == []
