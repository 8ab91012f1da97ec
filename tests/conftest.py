"""Suite-wide configuration: fixtures live in tests/plugins/, one module per area."""

import os

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = [
    "tests.plugins.charts",
    "tests.plugins.secrets",
    "tests.plugins.sim",
    "tests.plugins.cluster",
]

# Property tests judge behaviour, not speed: a loaded CI machine must not fail them on a deadline.
# In CI (CI set) examples are derandomized so a run is reproducible; elsewhere they explore.
settings.register_profile(
    "deploykit", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=bool(os.environ.get("CI"))
)
settings.load_profile("deploykit")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep `--dist loadgroup` grouping: pytest 9.2 reads a node id from `_id`, where xdist 3.8 still writes `_nodeid`.

    Without the `@group` suffix xdist spreads a group's tests over both workers, and a module-scoped setup
    (tests/integration/proof/test_secret_canary.py: some 30 commands) runs once per worker.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = sorted({str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
                        for mark in item.iter_markers("xdist_group")})
        suffix = "@" + "_".join(names)
        if names and not item.nodeid.endswith(suffix):
            item._id = type(item._id).parse(item.nodeid + suffix)
