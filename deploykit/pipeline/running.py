"""Running one stage of a pipeline: on each of its clusters, every release in `needs` order, through the engine.

A stage runs on its clusters in parallel; on each cluster the releases
deploy wave by wave (`Pipeline.release_waves`: a wave's releases in
parallel, a wave only after the one before it succeeded). Each release is
one `upgrading.upgrade` with the release's inputs and the stage's overlays
and policy; a cluster given as `sim: {state: DIR}` is the embedded
simulator, its objects kept in DIR between runs. The outcome is data, one
`ClusterOutcome` per cluster, for the reports and the exit code.

Must not: print (progress goes through `say`, prefixed per cluster and
release), verify evidence or write reports (the stage action does).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterator
from typing import Any
from pathlib import Path

from deploykit import errors
from deploykit.kube.client import Kube
from deploykit.pipeline.model import Cluster, Pipeline, Release, Stage
from deploykit.release import cancelling, deploying, upgrading
from deploykit.release.inputs import SECRETS_SCHEME, RenderOptions, values_paths
from deploykit.release.results import DeployResult
from deploykit.track import printing

Say = Callable[[str], None]
SUCCEEDED, FAILED, SKIPPED, CANCELLED = "succeeded", "failed", "skipped", "cancelled"
SIM_SPEED = 1.0


@dataclasses.dataclass
class ReleaseOutcome:
    release: str
    status: str  # succeeded, failed, skipped, cancelled (before its first write: nothing applied)
    result: DeployResult | None = None
    error: str = ""
    exit_code: int = 0


@dataclasses.dataclass
class ClusterOutcome:
    cluster: str
    started: str
    finished: str = ""
    releases: list[ReleaseOutcome] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status == SUCCEEDED for r in self.releases)


def _now() -> str:
    return deploying.stamp()


@contextlib.contextmanager
def connected(cluster: Cluster, *, base: Path) -> Iterator[Kube]:
    """A connection to the cluster: its kubeconfig and context, or an embedded simulator keeping its state."""
    if cluster.is_sim:
        from deploykit.sim import embedded

        state = base / str(cluster.sim_state)
        state.mkdir(parents=True, exist_ok=True)
        with embedded.running(state_dir=str(state), speed=SIM_SPEED) as handle:
            with Kube.connect(kubeconfig=handle.kubeconfig) as kube:
                yield kube
        return
    kubeconfig = str(base / cluster.kubeconfig) if cluster.kubeconfig else None
    with Kube.connect(kubeconfig=kubeconfig, context=cluster.context) as kube:
        yield kube


def render_options(release: Release, stage: Stage, *, base: Path, kube_version: str) -> RenderOptions:
    """The engine's inputs for a release in a stage: its files, then the stage's overlays; secrets after values."""
    def paths(items: tuple[str, ...]) -> tuple[str, ...]:
        # helm-secrets' secrets://FILE keeps its scheme: values_paths requires FILE to be sops-encrypted
        return tuple(SECRETS_SCHEME + str(base / item[len(SECRETS_SCHEME):]) if item.startswith(SECRETS_SCHEME)
                     else str(base / item) for item in items)

    return RenderOptions(
        chart=str(base / release.chart),
        values_files=values_paths(paths(release.values) + paths(stage.overlay(stage.values))
                                  + paths(release.secrets) + paths(stage.overlay(stage.secrets))),
        set_values=tuple(f"{key}={value}" for key, value in release.set.items()),
        release=release.name, namespace=release.namespace, kube_version=kube_version,
        template_engine=release.template_engine,
    )


def run_stage(
    pipeline: Pipeline, stage: Stage, *, base: Path, say: Say, clusters: tuple[str, ...] = (),
) -> list[ClusterOutcome]:
    """Deploy every release of the pipeline to the stage's clusters (all, or those named); one outcome each."""
    chosen = [c for c in stage.clusters if not clusters or c.name in clusters]
    unknown = set(clusters) - {c.name for c in stage.clusters}
    if unknown:
        raise errors.UsageError(f"stage {stage.name} has no cluster {', '.join(sorted(unknown))} "
                                f"(it has: {', '.join(c.name for c in stage.clusters)})")
    if len(chosen) == 1:
        return [_run_cluster(pipeline, stage, chosen[0], base=base, say=say)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(chosen)) as pool:
        futures = [pool.submit(_run_cluster, pipeline, stage, cluster, base=base,
                               say=lambda line, name=cluster.name: say(f"[{name}] {line}")) for cluster in chosen]
        return [future.result() for future in futures]


def _run_cluster(pipeline: Pipeline, stage: Stage, cluster: Cluster, *, base: Path, say: Say) -> ClusterOutcome:
    outcome = ClusterOutcome(cluster=cluster.name, started=_now())
    with connected(cluster, base=base) as kube:
        version = upgrading.target_version(kube)
        failed = False
        for wave in pipeline.release_waves():
            if (signum := cancelling.received()) is not None:
                outcome.releases += [_not_started(r, signum) for r in wave]
                continue
            if failed:
                outcome.releases += [ReleaseOutcome(r.name, SKIPPED, error="a release it needs failed") for r in wave]
                continue
            if len(wave) == 1:
                results = [_deploy(kube, wave[0], stage, base=base, version=version, say=say)]
            else:
                with concurrent.futures.ThreadPoolExecutor(max_workers=min(4, len(wave))) as pool:
                    results = list(pool.map(
                        lambda r: _deploy(kube, r, stage, base=base, version=version,
                                          say=lambda line, name=r.name: say(f"[{name}] {line}")), wave))
            outcome.releases += results
            failed = any(r.status != SUCCEEDED for r in results)
    outcome.finished = _now()
    return outcome


def plan_stage(pipeline: Pipeline, stage: Stage, *, base: Path, clusters: tuple[str, ...] = ()
               ) -> list[tuple[str, str, Any]]:
    """(cluster, release, the engine's plan) for every release on every cluster of the stage; nothing is written."""
    from deploykit.release.results import Timer

    found = []
    for cluster in [c for c in stage.clusters if not clusters or c.name in clusters]:
        with connected(cluster, base=base) as kube:
            version = upgrading.target_version(kube)
            for release in pipeline.releases:
                options = upgrading.UpgradeOptions(
                    render=render_options(release, stage, base=base, kube_version=version),
                    create_namespace=stage.policy.create_namespace, skip_crds=release.skip_crds)
                found.append((cluster.name, release.name, upgrading.prepare(kube, options, timer=Timer()).plan))
    return found


def _deploy(kube: Kube, release: Release, stage: Stage, *, base: Path, version: str, say: Say) -> ReleaseOutcome:
    options = upgrading.UpgradeOptions(
        render=render_options(release, stage, base=base, kube_version=version), install=True,
        atomic=stage.policy.atomic, create_namespace=stage.policy.create_namespace, skip_crds=release.skip_crds,
    )
    from deploykit.track import settings

    timeout = settings.parse_duration(stage.policy.timeout, what=f"stages.{stage.name}.policy.timeout")
    track = deploying.tracker(kube, printer=printing.LinePrinter(say), timeout=timeout)
    started = time.monotonic()
    try:
        result = upgrading.upgrade(kube, options, track=track, say=say)
    except cancelling.Cancelled as exc:
        say(f"release {release.name} cancelled by {exc.name}: nothing was applied")
        return ReleaseOutcome(release.name, CANCELLED, error=f"cancelled by {exc.name}: nothing was applied",
                              exit_code=128 + exc.signum)
    except errors.DeployFailedError as exc:
        say(f"error: release {release.name}: {exc}")
        return ReleaseOutcome(release.name, FAILED, result=exc.result, error=exc.message, exit_code=_exit_code(exc))
    except errors.DeploykitError as exc:  # refused before writing, or cut off from the cluster (then with a result)
        say(f"error: release {release.name}: {exc}")
        return ReleaseOutcome(release.name, FAILED, result=getattr(exc, "result", None), error=str(exc),
                              exit_code=_exit_code(exc))
    say(f"release {release.name} {result.status} in {time.monotonic() - started:.1f}s")
    return ReleaseOutcome(release.name, SUCCEEDED, result=result)


def _exit_code(exc: errors.DeploykitError) -> int:
    """A release that failed as the run was cancelled (SIGTERM from a cancelled CI job, Ctrl-C) exits as killed by
    the signal, 128+N, once rolled back; otherwise the error's own code."""
    signum = cancelling.received()
    return 128 + signum if signum is not None else exc.exit_code


def _not_started(release: Release, signum: int) -> ReleaseOutcome:
    return ReleaseOutcome(release.name, CANCELLED, error=f"not started: the run was cancelled by {cancelling.name(signum)}",
                          exit_code=128 + signum)
