"""Suite-wide configuration: fixtures live in tests/plugins/, one module per area."""

pytest_plugins = [
    "tests.plugins.charts",
    "tests.plugins.secrets",
    "tests.plugins.sim",
    "tests.plugins.cluster",
]
