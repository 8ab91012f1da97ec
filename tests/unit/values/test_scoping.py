"""The values a subchart sees: its defaults < its parent's section < the parent's globals."""

from __future__ import annotations

import pytest

from deploykit import errors
from deploykit.values import loading, provenance, scoping
from deploykit.values.provenance import Origin


def _parent(text: str) -> provenance.Values:
    return provenance.compose([loading.load_text(text, source="values.yaml")])


REDIS_DEFAULTS = loading.load_text("port: 6379\nauth: true\nglobal:\n  registry: docker.io\n  debug: false\n",
                                   source="chart redis defaults")


def test_the_parent_section_overrides_the_subchart_defaults() -> None:
    """`redis.port` in the parent's values would not reach the redis subchart."""
    sub = scoping.subchart_values(_parent("redis:\n  port: 7000\n"), key="redis", defaults=REDIS_DEFAULTS)
    assert (sub.data["port"], sub.data["auth"]) == (7000, True)
    assert sub.source_of("port") == Origin("values.yaml")
    assert sub.source_of("auth") == Origin("chart redis defaults")


def test_parent_globals_override_the_subchart_globals() -> None:
    """A `global.registry` set for the whole release would not reach subcharts."""
    parent = _parent("global:\n  registry: mirror.example.com\nredis:\n  global:\n    debug: true\n")
    sub = scoping.subchart_values(parent, key="redis", defaults=REDIS_DEFAULTS)
    assert sub.data["global"] == {"registry": "mirror.example.com", "debug": True}
    assert sub.source_of("global.registry") == Origin("values.yaml")


def test_without_a_section_the_subchart_keeps_its_defaults() -> None:
    """A subchart the parent does not configure would render with no values."""
    sub = scoping.subchart_values(_parent("replicas: 2\n"), key="redis", defaults=REDIS_DEFAULTS)
    assert sub.data == {"port": 6379, "auth": True, "global": {"registry": "docker.io", "debug": False}}


def test_a_section_that_is_not_a_mapping_is_refused() -> None:
    """`redis: true` (meant as enabled) would crash rendering with an obscure error."""
    with pytest.raises(errors.ValuesError, match="redis must be a mapping of values, but values.yaml sets it"):
        scoping.subchart_values(_parent("redis: true\n"), key="redis", defaults=REDIS_DEFAULTS)
