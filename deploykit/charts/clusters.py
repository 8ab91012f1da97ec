"""The cluster a render reads from, for the commands that have one (plan, upgrade, a pipeline stage).

Owns `Cluster`, the plain description of the cluster Helm's `lookup` reads
live objects from and whose API versions `.Capabilities` lists. Apart from
engines.py so that `template` and `lint`, which render without a cluster, do
not pay for creating the class.

Must not: talk to a cluster (kube/ does; Helm's `lookup` reads through it).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from deploykit.frozen import frozen


@frozen
class Cluster:
    """The cluster a render targets: where Helm's `lookup` reads live objects (a kubeconfig, None: KUBECONFIG,
    ~/.kube/config, in-cluster; and a context), and the API versions it serves (added to Capabilities.APIVersions)."""

    kubeconfig: str | None = None
    context: str | None = None
    api_versions: tuple[str, ...] = ()
    # When set, where `lookup` reads instead: an endpoint with `kubeconfig()` (a path for Helm) and `secrets_read()`
    # (every Secret value it passed on, which the render then treats as secret); see kube/lookupproxy.py.
    lookup: Any = dataclasses.field(default=None, compare=False, repr=False)
