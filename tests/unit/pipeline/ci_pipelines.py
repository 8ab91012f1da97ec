"""Pipelines built as models for the CI generator's tests (no loader needed)."""

from deploykit.pipeline import model

PIPELINE_FILE = "deploy/pipeline.yaml"


def fanout_pipeline(*, approval: str | None = model.MANUAL) -> model.Pipeline:
    """dev (one cluster) -> prod (two clusters, requires dev, manual unless told otherwise)."""
    return model.Pipeline(
        name="shop",
        source=PIPELINE_FILE,
        releases=(
            model.Release(name="db", chart="deploy/charts/db", namespace="shop"),
            model.Release(name="api", chart="charts/api", namespace="shop", needs=("db",)),
        ),
        stages=(
            model.Stage(name="dev", clusters=(model.Cluster(name="dev", context="dev"),)),
            model.Stage(
                name="prod",
                clusters=(model.Cluster(name="eu", context="prod-eu"), model.Cluster(name="us", context="prod-us")),
                requires=("dev",),
                approval=approval,
            ),
        ),
    )


def chain_pipeline() -> model.Pipeline:
    """a -> b -> c where c requires a only (b is before c in promotion order, not required)."""
    one = (model.Cluster(name="k", context="k"),)
    return model.Pipeline(
        name="chain",
        source=PIPELINE_FILE,
        releases=(model.Release(name="web", chart="https://charts.example.com/web", namespace="web"),),
        stages=(
            model.Stage(name="a", clusters=one),
            model.Stage(name="b", clusters=one),
            model.Stage(name="c", clusters=one, requires=("a",)),
        ),
    )
