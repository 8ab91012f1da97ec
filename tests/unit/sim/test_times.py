"""Times as objects carry them: written and read back the way the API server and kubectl do."""

from __future__ import annotations

from deploykit.sim import times

AT = 1_700_000_000.25  # 2023-11-14T22:13:20.25Z


def test_each_shape_is_written_as_the_server_writes_it():
    """creationTimestamp, eventTime and `logs --timestamps` would not parse in client-go otherwise."""
    assert times.rfc3339(AT) == "2023-11-14T22:13:20Z"
    assert times.rfc3339_micro(AT) == "2023-11-14T22:13:20.250000Z"
    assert times.rfc3339_nano(AT) == "2023-11-14T22:13:20.25Z"
    assert times.rfc3339_nano(1_700_000_000.0) == "2023-11-14T22:13:20Z"


def test_written_times_read_back_with_their_fractions():
    """Ages, back-offs and `--since-time` would drift if a time did not read back as written."""
    assert times.parse(times.rfc3339(AT)) == 1_700_000_000.0
    assert times.parse(times.rfc3339_micro(AT)) == AT
    assert times.parse(times.rfc3339_nano(AT)) == AT


def test_what_is_not_a_time_reads_as_none():
    """A malformed timestamp in a custom resource would crash `kubectl get` instead of showing it as is."""
    assert [times.parse(v) for v in (None, "", 42, "2023-11-14", "yesterday at noon")] == [None] * 5
