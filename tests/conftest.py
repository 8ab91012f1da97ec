"""Suite-wide configuration: fixtures live in tests/plugins/, one module per area."""

import os

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
