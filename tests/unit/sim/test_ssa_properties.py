"""Properties of the simulator's server-side apply (deploykit/sim/managing.py), over generated manifests.

Re-applying is a no-op; a field a manager stops applying goes only when no
other manager owns it, for map keys (ConfigMap data) and for the items of a
list keyed by name (a Deployment's containers, where sidecar injectors add
their own).
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.sim.test_managing import T0, T1, T2, apply, stored

_keys = st.text(alphabet="abcdefgh", min_size=1, max_size=2)
_values = st.text(alphabet="xyz01", min_size=0, max_size=3)
_data = st.dictionaries(_keys, _values, max_size=6)
_names = st.lists(st.sampled_from(["app", "proxy", "log", "metrics", "init", "vault"]), unique=True, max_size=4)


def configmap(data: dict[str, str]) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": data}


def deployment(containers: list[str], *, image: str = "reg/app:1") -> dict:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": name, "image": f"{image}-{name}"} for name in containers]},
            },
        },
    }


def container_names(obj: dict) -> list[str]:
    return [c["name"] for c in obj["spec"]["template"]["spec"].get("containers") or []]


@settings(max_examples=40)
@given(first=_data, others=_data, dropped=st.sets(_keys))
def test_dropping_keys_removes_only_those_no_other_manager_owns(first, others, dropped):
    """A chart dropping a ConfigMap key would also delete keys another tool (or kubectl) applied."""
    live = stored(apply(None, configmap(first), "deployer", now=T0))
    live = stored(apply(live, configmap(others), "other", force=True, now=T1), rv="2")
    kept = {k: v for k, v in first.items() if k not in dropped}
    result = apply(live, configmap(kept), "deployer", force=True, now=T2)
    expected = {**others, **kept}  # the deployer forces what it keeps; the other manager's keys all stay
    assert result.get("data", {}) == expected


@settings(max_examples=40)
@given(ours=_names, sidecars=_names, kept=_names)
def test_a_container_the_chart_drops_goes_and_injected_sidecars_stay(ours, sidecars, kept):
    """An upgrade dropping a container would remove a sidecar an injector added, or keep the dropped one."""
    sidecars = [name for name in sidecars if name not in ours]
    kept = [name for name in ours if name in kept]
    live = stored(apply(None, deployment(ours), "deployer", now=T0))
    live = stored(apply(live, deployment(sidecars, image="reg/sidecar:1"), "injector", now=T1), rv="2")
    result = apply(live, deployment(kept), "deployer", now=T2)
    assert sorted(container_names(result)) == sorted(kept + sidecars)


@settings(max_examples=40)
@given(containers=_names, image=st.sampled_from(["reg/app:1", "reg/app:2"]), data=_data)
def test_applying_the_same_manifests_again_writes_nothing(containers, image, data):
    """A no-op upgrade would bump resourceVersions and the managedFields time, so nothing ever looks unchanged."""
    for manifest in (deployment(containers, image=image), configmap(data)):
        live = stored(apply(None, manifest, now=T0))
        assert apply(live, manifest, now=T1) == live
