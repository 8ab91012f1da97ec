"""charts.kubeapis: which installed schema set a target Kubernetes version is checked against."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from deploykit.charts import kubeapis


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="v0123456789.-+g ٣x", max_size=12))
def test_the_major_and_minor_of_a_kube_version_are_read_as_the_pattern_reads_them(text):
    """`--kube-version 1.30` or `v1.30.2-gke.1` would be checked against another schema set than Helm users expect."""
    match = re.match(r"^v?(\d+)\.(\d+)", text.strip())
    assert kubeapis._minor(text) == ((int(match[1]), int(match[2])) if match else None)


def test_a_target_version_is_checked_against_the_installed_set_of_its_minor_or_the_nearest_below():
    """Objects for v1.29 would be checked against no schema at all, or another minor's."""
    available = kubeapis._available()
    assert available, "kubernetes-validate's schema sets are installed with the package"
    major, minor, folder = available[len(available) // 2]
    assert kubeapis._folder(f"v{major}.{minor}.0") == folder
    assert kubeapis._folder(f"v{major}.{minor}.9-gke.1") == folder
    assert kubeapis._folder("v99.999.0") == available[-1][2]  # newer than every set: the newest
    assert kubeapis._folder("v0.1.0") == available[0][2]  # older than every set: the oldest
    assert all(re.fullmatch(r"v\d+\.\d+\.\d+-local-strict", path.rsplit("/", 1)[-1]) for *_, path in available)
