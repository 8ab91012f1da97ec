"""Versions and Helm's constraint syntax, as kubeVersion and dependency versions use them."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deploykit.charts import constraints, semver


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        (">=1.25.0-0", "1.37.0", True),
        (">=1.25.0-0", "1.29.3-gke.1286000", True),
        (">=1.25.0", "1.29.3-gke.1286000", False),
        ("^1.28", "1.37.0", True),
        ("^1.28", "2.0.0", False),
        ("^0.2.3", "0.2.9", True),
        ("^0.2.3", "0.3.0", False),
        ("~1.30", "1.30.9", True),
        ("~1.30", "1.31.0", False),
        ("~1", "1.9.0", True),
        (">= 1.25 < 1.38", "1.37.0", True),
        (">= 1.25 < 1.38", "1.38.0", False),
        (">=1.25, <1.38", "1.24.9", False),
        ("<1.20 || >=1.30", "1.31.0", True),
        ("<1.20 || >=1.30", "1.25.0", False),
        ("1.2 - 1.4.5", "1.4.5", True),
        ("1.2 - 1.4.5", "1.4.6", False),
        ("1.2.x", "1.2.7", True),
        ("1.2.x", "1.3.0", False),
        ("!=1.2.x", "1.3.0", True),
        ("!=1.2.x", "1.2.1", False),
        ("*", "5.0.0", True),
        ("=1.0.0", "1.0.0", True),
        ("1.0", "1.0.3", True),
        (">1.2", "1.2.9", False),
        (">1.2", "1.3.0", True),
        ("<=1.2", "1.2.9", True),
        ("v1.30.0", "v1.30.0", True),
    ],
)
def test_constraint_matches_like_helm(constraint, version, expected):
    """A kubeVersion or dependency constraint would accept or refuse the wrong versions."""
    assert constraints.satisfies(version, constraint) is expected


def test_prerelease_below_a_bound_is_excluded_even_when_prereleases_are_allowed():
    """`>=1.25.0-0 <1.38` would let a 1.38 pre-release (e.g. a managed cluster's 1.38.0-eks) through."""
    assert not constraints.satisfies("1.38.0-eks.1", ">=1.25.0-0 <1.38")


def test_versions_order_with_prereleases_before_the_release():
    """Dependency selection would pick a release candidate over the release."""
    ordered = sorted(semver.parse_version(v) for v in ["1.0.0", "1.0.0-rc.2", "1.0.0-rc.10", "1.0.0-alpha", "0.9.9"])
    assert [str(v) for v in ordered] == ["0.9.9", "1.0.0-alpha", "1.0.0-rc.2", "1.0.0-rc.10", "1.0.0"]


@pytest.mark.parametrize("text", ["", "one", "1.2.3.4", ">= ", "1.x.3", "a || ", "=> banana"])
def test_bad_constraint_is_refused_with_a_reason(text):
    """A typo in kubeVersion would silently match everything or crash with a traceback."""
    with pytest.raises(ValueError):
        constraints.parse_constraint(text)


@pytest.mark.parametrize("text", ["one", "1.2.3.4", "01.2.3", "1.2.3-"])
def test_bad_version_is_refused(text):
    """Chart.yaml's version would accept text that no tool can order."""
    with pytest.raises(ValueError):
        semver.parse_version(text)


def _by_pattern(text: str) -> semver.Version | None:
    """A version as the pattern alone reads it (the reading parse_version's plain-numbers path must match)."""
    import re

    match = re.match(semver._VERSION, text.strip())
    if not match:
        return None
    pre = match["pre"]
    return semver.Version(int(match["major"]), int(match["minor"] or 0), int(match["patch"] or 0),
                          tuple(pre.split(".")) if pre else (), match["build"] or "")


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="v0123456789.-+a ٣", max_size=12))
def test_the_plain_numbers_path_reads_every_version_as_the_pattern_does(text):
    """A chart version like `01.2` or `1.2.3.4` would be taken by the fast path that the pattern refuses (or read
    differently), so Helm and deploykit would disagree on it."""
    expected = _by_pattern(text)
    try:
        parsed = semver.parse_version(text)
    except ValueError:
        parsed = None
    assert parsed == expected and (parsed is None or parsed.build == expected.build)
