"""Release records as data: JSON form, payload encoding and the split of large payloads into parts."""

import base64
import gzip
import io
import json
import random
import tarfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploykit import errors
from deploykit.release import records
from deploykit.release.records import Record

texts = st.text(max_size=20)
json_leaves = st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False) | texts
json_trees = st.recursive(json_leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
                          max_leaves=12)
paths = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters="/\\"), min_size=1, max_size=12)
namespaces = st.none() | st.just("shop")

record_strategy = st.builds(
    Record,
    name=st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True),
    namespace=st.just("shop"),
    revision=st.integers(1, 10**6),
    status=st.sampled_from(list(records.Status)),
    created=st.just("2026-12-04T22:18:01Z"),
    updated=st.just("2026-12-04T22:19:30Z"),
    chart=st.builds(records.ChartIdentity, name=texts, version=texts, app_version=texts, digest=texts),
    description=texts,
    chart_files=st.dictionaries(paths.map(lambda p: f"templates/{p}"), st.binary(max_size=64), max_size=4),
    values=st.dictionaries(texts, json_trees, max_size=4),
    secret_files=st.lists(st.builds(records.SecretFile, path=texts, ciphertext=texts), max_size=2).map(tuple),
    set_inputs=st.lists(st.builds(records.SetInput, flag=st.sampled_from(["set", "set-string"]), key=texts,
                                  value=texts, secret=st.booleans()), max_size=2).map(tuple),
    manifest=st.text(max_size=200),
    objects=st.lists(st.builds(records.AppliedObject, api_version=texts, kind=texts, namespace=namespaces, name=texts,
                               created=st.booleans()), max_size=3).map(tuple),
    hooks=st.lists(st.builds(records.HookResult, kind=texts, name=texts, namespace=namespaces, phase=texts,
                             outcome=texts, weight=st.integers(-5, 5), seconds=st.floats(0, 1e6), message=texts),
                   max_size=2).map(tuple),
    timings=st.dictionaries(texts, st.floats(0, 1e6), max_size=3),
    deployer=st.none() | st.builds(records.Deployer, system=st.sampled_from(["gitlab", "local"]), actor=texts,
                                   commit=texts, job_url=texts, pipeline_url=texts, project=texts),
    failure=st.none() | texts,
    rolled_back_to=st.none() | st.integers(1, 100),
)


def minimal(**changes):
    fields = dict(name="web", namespace="shop", revision=3, status="deployed", created="2026-12-04T22:18:01Z",
                  updated="2026-12-04T22:18:01Z", chart=records.ChartIdentity("web", "1.2.0", "2.0", "sha256:ab"))
    return Record(**{**fields, **changes})


def damaged(payload_tree) -> bytes:
    return base64.b64encode(gzip.compress(json.dumps(payload_tree).encode()))


@given(record_strategy)
def test_encode_decode_round_trips(record):
    """A stored revision would come back different from what was deployed (values, objects, hooks lost)."""
    assert records.decode(records.encode(record)) == record


@given(record_strategy)
def test_encoding_is_deterministic(record):
    """The same revision would encode to different bytes, so an unchanged record would look changed."""
    assert records.encode(records.decode(records.encode(record))) == records.encode(record)


@settings(max_examples=3)
@given(st.integers(0, 2**32))
def test_a_3_mib_record_of_incompressible_chart_files_round_trips(seed):
    """A chart shipping large binary files would make its record unreadable."""
    rng = random.Random(seed)
    files = {f"files/blob-{i}.bin": rng.randbytes(1024 * 1024) for i in range(3)}
    record = minimal(chart_files=files)
    payload = records.encode(record)
    assert len(payload) > 3 * 1024 * 1024
    parts = records.split(payload)
    assert len(parts) == -(-len(payload) // records.PART_SIZE)
    assert records.decode(records.join(reversed(parts))) == record


def test_the_payload_is_gzip_base64_of_json_with_a_schema_version():
    """Other tools (kubectl, scripts) could not read records the documented way."""
    tree = json.loads(gzip.decompress(base64.b64decode(records.encode(minimal()))))
    assert tree["schemaVersion"] == records.SCHEMA_VERSION
    assert (tree["name"], tree["revision"], tree["status"]) == ("web", 3, "deployed")
    assert tree["chart"] == {"name": "web", "version": "1.2.0", "appVersion": "2.0", "digest": "sha256:ab"}


@pytest.mark.parametrize("payload, what", [
    (b"!!not base64!!", "not base64"),
    (base64.b64encode(b"plain bytes, not gzip"), "not complete gzip"),
    (base64.b64encode(gzip.compress(b"{not json")), "not JSON"),
    (base64.b64encode(gzip.compress(records.canonical_json(minimal().to_dict()))[:-12]), "not complete gzip"),
], ids=["not-base64", "not-gzip", "not-json", "truncated"])
def test_a_damaged_payload_is_a_record_error_naming_the_record(payload, what):
    """A damaged record Secret would crash deploykit with a traceback instead of naming the record."""
    with pytest.raises(errors.RecordError) as caught:
        records.decode(payload, source="release web v3 in namespace shop")
    assert str(caught.value).startswith("release web v3 in namespace shop is damaged")
    assert what in caught.value.message
    assert caught.value.hint


def test_an_unknown_schema_version_is_refused_with_a_hint():
    """A record written by a newer deploykit would be misread instead of refused."""
    tree = {**minimal().to_dict(), "schemaVersion": 99}
    with pytest.raises(errors.RecordError) as caught:
        records.decode(damaged(tree), source="release web v3 in namespace shop")
    assert "release web v3 in namespace shop: unknown record schema version 99" in caught.value.message
    assert "version" in caught.value.hint


@pytest.mark.parametrize("change, what", [
    ({"status": "half-done"}, "status 'half-done' is not a known status"),
    ({"revision": "3"}, "revision is str, expected int"),
    ({"revision": True}, "revision is bool, expected int"),
    ({"objects": [{"kind": "ConfigMap"}]}, "field objects[0].apiVersion is missing"),
    ({"chartFiles": "AAAA"}, "chartFiles is not a readable tar.gz"),
    ({"timings": {"apply": "slow"}}, "timings.apply is str, expected float or int"),
], ids=["status", "revision-str", "revision-bool", "object-field", "chart-files", "timing"])
def test_a_payload_with_wrong_fields_names_the_field(change, what):
    """A hand-edited record would fail later with a confusing KeyError or TypeError."""
    with pytest.raises(errors.RecordError) as caught:
        records.decode(damaged({**minimal().to_dict(), **change}))
    assert what in caught.value.message


def test_a_missing_required_field_is_named():
    """A truncated record tree would surface as a TypeError from the dataclass."""
    tree = minimal().to_dict()
    del tree["chart"]
    with pytest.raises(errors.RecordError, match="field chart is missing"):
        records.decode(damaged(tree))


def test_with_status_keeps_the_rest_and_stamps_the_update():
    """Marking a revision superseded would lose its description or keep the old update time."""
    record = minimal(status="pending-upgrade", description="Upgrade in progress")
    failed = record.with_status("failed", updated="2026-12-04T23:00:00Z", description="Upgrade failed: timeout")
    assert (failed.status, failed.updated, failed.description) == (
        records.Status.FAILED, "2026-12-04T23:00:00Z", "Upgrade failed: timeout")
    assert failed.with_status("superseded", updated="x").description == "Upgrade failed: timeout"
    assert records.Status.PENDING_UPGRADE.pending and not records.Status.DEPLOYED.pending


def test_a_record_whose_values_are_not_json_cannot_be_encoded_and_says_why():
    """A values tree holding a Python object would fail with a bare TypeError mid-deploy."""
    with pytest.raises(errors.RecordError, match="release web v3 in namespace shop: the record cannot be written"):
        records.encode(minimal(values={"when": object()}))


def test_rfc3339_is_utc_seconds():
    """Records would carry local times, ordering revisions wrongly across CI runners in other zones."""
    from datetime import datetime, timedelta, timezone
    at = datetime(2026, 12, 4, 23, 18, 1, 500000, tzinfo=timezone(timedelta(hours=1)))
    assert records.rfc3339(at) == "2026-12-04T22:18:01Z"


# -- parts -----------------------------------------------------------------------

SIZE = 64
sizes = st.one_of(st.integers(0, SIZE * 5), st.sampled_from([0, 1, SIZE - 1, SIZE, SIZE + 1, 2 * SIZE, 2 * SIZE + 1]))


@given(sizes.flatmap(lambda n: st.binary(min_size=n, max_size=n)))
def test_split_join_round_trips_at_any_size(payload):
    """A payload of an unlucky size (exactly at a part boundary) would lose or duplicate bytes."""
    parts = records.split(payload, size=SIZE)
    assert len(parts) == max(1, -(-len(payload) // SIZE))
    assert all(len(part.data) <= SIZE for part in parts)
    assert {(part.count, part.digest) for part in parts} == {(len(parts), records.digest_of(payload))}
    assert records.join(parts) == payload


def test_a_payload_exactly_one_part_long_is_one_part():
    """A record of exactly the part size would be stored as two Secrets, one empty."""
    assert len(records.split(b"x" * records.PART_SIZE)) == 1
    assert len(records.split(b"x" * (records.PART_SIZE + 1))) == 2


def test_a_missing_part_is_named():
    """A deleted part Secret would be read as a shorter record or crash."""
    parts = records.split(b"abcdefghij", size=3)
    with pytest.raises(errors.RecordError) as caught:
        records.join([parts[0], parts[1], parts[3]], source="release web v3 in namespace shop")
    assert caught.value.message == (
        "release web v3 in namespace shop is damaged: it has 3 of 4 parts: part(s) 3 missing")


def test_an_altered_part_fails_the_digest():
    """A tampered part Secret would be decoded as if it were what deploykit wrote."""
    parts = records.split(b"abcdefghij", size=3)
    altered = [parts[0], records.Part(2, 4, parts[1].digest, b"XYZ"), *parts[2:]]
    with pytest.raises(errors.RecordError, match="do not match the digest sha256:"):
        records.join(altered)


def test_parts_of_two_writes_are_not_mixed():
    """Parts left from an earlier write of the same revision would be joined with the new ones."""
    old, new = records.split(b"old payload", size=4), records.split(b"new payload", size=4)
    with pytest.raises(errors.RecordError, match="disagree on their count or digest"):
        records.join([new[0], old[1], new[2]])


def test_a_duplicated_part_is_refused():
    """A part present twice would be concatenated twice."""
    parts = records.split(b"abcdef", size=3)
    with pytest.raises(errors.RecordError, match="unexpected parts"):
        records.join([parts[0], parts[1], parts[1]])


def test_errors_about_a_damaged_record_never_echo_its_content():
    """A hand-edited record would print stored strings (a pasted password among them) in the error."""
    canary = "canary-s3cret-4f9a"
    for change in ({"revision": canary}, {"objects": [canary]}, {"timings": {"apply": canary}},
                   {"chartFiles": canary}, {"deployer": {"system": canary}}):
        with pytest.raises(errors.RecordError) as caught:
            records.decode(damaged({**minimal().to_dict(), **change}))
        assert canary not in str(caught.value)


def test_where_an_adopted_revision_came_from_round_trips():
    """An adopted revision read back would lose its origin, and rollback would try to re-render Helm's chart."""
    adopted = minimal(adopted_from=records.AdoptedFrom(system="helm", release="web", namespace="shop", revision=4))
    back = records.decode(records.encode(adopted))
    assert back.adopted_from == adopted.adopted_from
    assert str(back.adopted_from) == "Helm release web revision 4"
    assert records.decode(records.encode(minimal())).adopted_from is None


def chart_files_text(tar_text: str) -> str:
    """A record payload's chartFiles, as it would be stored by deploykit packing them another way."""
    return json.loads(gzip.decompress(base64.b64decode(records.encode(
        records.decode(damaged({**minimal().to_dict(), "chartFiles": tar_text})).with_status(
            "superseded", updated="2026-12-05T00:00:00Z")))))["chartFiles"]


def test_a_record_rewritten_with_a_new_status_keeps_its_chart_files_as_stored():
    """Superseding the previous revision would unpack and repack its whole chart on every upgrade (slow, new bytes)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
        info = tarfile.TarInfo("templates/cm.yaml")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"kind"))
    stored = base64.b64encode(buffer.getvalue()).decode()
    assert chart_files_text(stored) == stored
    assert dict(records.decode(damaged({**minimal().to_dict(), "chartFiles": stored})).chart_files) == {
        "templates/cm.yaml": b"kind"}


def test_chart_files_that_are_no_tar_are_named_when_read():
    """Chart files that are gzip but no tar (read lazily) would crash the rollback reading them with a TarError."""
    record = records.decode(damaged({**minimal().to_dict(), "chartFiles": base64.b64encode(gzip.compress(
        b"not a tar" * 100)).decode()}), source="release web v3 in namespace shop")
    with pytest.raises(errors.RecordError) as caught:
        dict(record.chart_files)
    assert "release web v3 in namespace shop is damaged: chartFiles is not a readable tar.gz" in str(caught.value)
