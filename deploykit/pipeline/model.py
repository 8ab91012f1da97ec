"""The pipeline file as data: releases, stages in promotion order, clusters, policies, gates.

Owns the typed, validated form of a `kind: Pipeline` file (`apiVersion:
deploykit.io/v1`). Loading, the JSON Schema and error locations live in
`loading`; this module only holds the result and the small rules that need
no file (which stages a stage requires, release order by `needs`).

Must not: read files, talk to a cluster or decrypt anything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from deploykit.frozen import frozen

API_VERSION = "deploykit.io/v1"
KIND = "Pipeline"
MANUAL = "manual"


@frozen
class Cluster:
    """Where a stage deploys: a kubeconfig context, or the embedded simulator (`sim: {state: DIR}`)."""

    name: str
    kubeconfig: str | None = None
    context: str | None = None
    sim_state: str | None = None  # a folder: the embedded simulator keeps its objects there between runs

    @property
    def is_sim(self) -> bool:
        return self.sim_state is not None


@frozen
class Release:
    """One release of the pipeline: a chart, its namespace and inputs, and the releases it needs first."""

    name: str
    chart: str
    namespace: str
    values: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()  # must be sops-encrypted
    set: Mapping[str, str] = dataclasses.field(default_factory=dict)
    needs: tuple[str, ...] = ()
    template_engine: str = "auto"  # as --template-engine: auto, helm (Go templates) or jinja2
    skip_crds: bool = False  # as --skip-crds: the CRDs of the charts' crds/ folders are neither created nor updated


@frozen
class Policy:
    timeout: str = "5m"
    atomic: bool = True
    create_namespace: bool = False


@frozen
class Stage:
    """One environment in promotion order; `values` / `secrets` overlays may hold `{stage}`."""

    name: str
    clusters: tuple[Cluster, ...]
    values: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()
    policy: Policy = dataclasses.field(default_factory=Policy)
    requires: tuple[str, ...] = ()  # earlier stages whose signed, successful report must be presented
    approval: str | None = None  # "manual": runs only when approved (`--approve STAGE`, or a manual CI job)

    def overlay(self, paths: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(path.replace("{stage}", self.name) for path in paths)


@frozen
class Pipeline:
    name: str
    source: str  # the file it was read from, for messages
    releases: tuple[Release, ...]
    stages: tuple[Stage, ...]
    public_key: str | None = None  # ed25519, PEM or base64 raw: verifies stage reports

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)

    def release(self, name: str) -> Release:
        for release in self.releases:
            if release.name == name:
                return release
        raise KeyError(name)

    def release_waves(self) -> list[tuple[Release, ...]]:
        """Releases grouped so that each group needs only earlier groups: a group deploys in parallel."""
        done: set[str] = set()
        waves: list[tuple[Release, ...]] = []
        pending = list(self.releases)
        while pending:
            ready = tuple(r for r in pending if set(r.needs) <= done)
            if not ready:  # a cycle: loading refuses it; here it only must not loop forever
                raise ValueError("releases need each other in a cycle: " + ", ".join(r.name for r in pending))
            waves.append(ready)
            done |= {r.name for r in ready}
            pending = [r for r in pending if r.name not in done]
        return waves
