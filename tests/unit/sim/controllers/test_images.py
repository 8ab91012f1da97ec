"""Image references as the runtime reports them, pull errors, and the kubelet's back-off and durations."""

from __future__ import annotations

import pytest

from deploykit.sim.controllers import pods


@pytest.mark.parametrize("image, expected", [
    ("nginx", "docker.io/library/nginx:latest"),
    ("nginx:1.25", "docker.io/library/nginx:1.25"),
    ("team/app:2", "docker.io/team/app:2"),
    ("registry.example.com/app:1.0", "registry.example.com/app:1.0"),
    ("localhost:5000/app", "localhost:5000/app:latest"),
])
def test_images_are_normalized_as_containerd_reports_them(image, expected):
    """Container statuses show docker.io/library/nginx:1.25 for nginx:1.25."""
    assert pods.normalized(image) == expected


def test_image_ids_are_digests_of_the_repository():
    """imageID is <repository>@sha256:<64 hex>."""
    ref = pods.image_id("nginx:1.25")
    repo, _, digest = ref.partition("@sha256:")
    assert repo == "docker.io/library/nginx" and len(digest) == 64


@pytest.mark.parametrize("image, host", [("nginx", "docker.io"), ("reg.invalid/app:1", "reg.invalid"),
                                         ("localhost:5000/a", "localhost"), ("team/app", "docker.io")])
def test_registry_host(image, host):
    """Images from hosts ending in .invalid fail to pull; the host is read as Docker reads it."""
    assert pods.registry_host(image) == host


def test_pull_errors_for_invalid_hosts_say_no_such_host():
    """ErrImagePull's message names the DNS failure, as containerd's does."""
    assert "lookup reg.invalid: no such host" in pods.pull_error("reg.invalid/app:1")


@pytest.mark.parametrize("image, valid", [("nginx:1.25", True), ("Nginx", False), ("app:", False),
                                          ("a/b/c@sha256:" + "0" * 64, True), ("", False)])
def test_reference_validation(image, valid):
    """An unparsable image name gives InvalidImageName instead of a pull."""
    assert pods.valid_reference(image) is valid


@pytest.mark.parametrize("seconds, text", [(10, "10s"), (80, "1m20s"), (300, "5m0s"), (0.15, "150ms")])
def test_durations_print_like_go(seconds, text):
    """`back-off 1m20s restarting failed container` as the kubelet prints it."""
    assert pods.go_duration(seconds) == text


def test_restart_back_off_is_immediate_then_doubles_to_the_cap():
    """The kubelet restarts at once after the first exit, then waits 10 s, 20 s, 40 s ... 300 s."""
    backoff = pods.Backoff(10, 300, immediate_first=True)
    assert [backoff.next() for _ in range(8)] == [0, 10, 20, 40, 80, 160, 300, 300]


def test_pull_back_off_starts_at_the_base():
    """ImagePullBackOff waits 10 s after the first failed pull."""
    backoff = pods.Backoff(10, 300, immediate_first=False)
    assert [backoff.next() for _ in range(3)] == [10, 20, 40]
