"""Merge, strategic merge and JSON patches as the API server applies them."""

from __future__ import annotations

import copy

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from deploykit.sim import patching, statuses, typeinfo

DEPLOYMENT = typeinfo.Schemas.builtin().type_of("apps/v1", "Deployment")

LIVE = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}, "finalizers": ["a", "b"]},
    "spec": {
        "replicas": 2,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        "template": {"spec": {
            "containers": [
                {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                 "args": ["--x"]},
                {"name": "side", "image": "side:1"},
            ],
            "tolerations": [{"key": "k", "operator": "Exists"}],
        }},
    },
}


def smp(patch: dict, live: dict | None = None) -> dict:
    return patching.strategic_merge_patch(copy.deepcopy(live or LIVE), patch, type_ref=DEPLOYMENT)


def containers(obj: dict) -> list[str]:
    return [c["name"] for c in obj["spec"]["template"]["spec"]["containers"]]


# --- merge patch -------------------------------------------------------------------------------


def test_merge_patch_merges_maps_and_null_deletes():
    """RFC 7386: nested maps merge, null removes a key."""
    out = patching.merge_patch(LIVE, {"metadata": {"labels": {"tier": None, "new": "x"}}, "spec": {"replicas": 5}})
    assert out["metadata"]["labels"] == {"app": "web", "new": "x"}
    assert out["spec"]["replicas"] == 5


def test_merge_patch_replaces_lists():
    """RFC 7386: a list in the patch replaces the live list."""
    out = patching.merge_patch(LIVE, {"metadata": {"finalizers": ["z"]}})
    assert out["metadata"]["finalizers"] == ["z"]


def test_patches_do_not_mutate_their_inputs():
    """The live object and the patch body are untouched by every patch type."""
    live, patch = copy.deepcopy(LIVE), {"metadata": {"labels": {"x": "1"}}}
    patching.merge_patch(live, patch)
    patching.strategic_merge_patch(live, patch, type_ref=DEPLOYMENT)
    patching.json_patch(live, [{"op": "add", "path": "/metadata/labels/y", "value": "2"}])
    assert live == LIVE and patch == {"metadata": {"labels": {"x": "1"}}}


# --- strategic merge patch -------------------------------------------------------------------------


def test_strategic_merge_merges_containers_by_name():
    """Patching one container's image keeps the other container and the untouched fields."""
    out = smp({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"}]}}}})
    assert containers(out) == ["app", "side"]
    app = out["spec"]["template"]["spec"]["containers"][0]
    assert app["image"] == "app:2" and app["args"] == ["--x"]


def test_strategic_merge_puts_new_items_first_without_an_order_directive():
    """A new container lands before the live-only ones, as apimachinery orders merged lists."""
    out = smp({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:2"},
                                                             {"name": "new", "image": "n:1"}]}}}})
    assert containers(out) == ["app", "new", "side"]


def test_strategic_merge_replaces_lists_without_a_merge_strategy():
    """Tolerations (no patch strategy) are replaced whole."""
    out = smp({"spec": {"template": {"spec": {"tolerations": [{"key": "other", "operator": "Exists"}]}}}})
    assert out["spec"]["template"]["spec"]["tolerations"] == [{"key": "other", "operator": "Exists"}]


def test_delete_directive_removes_a_list_item_by_key():
    """`$patch: delete` in a list item removes the item with that merge key."""
    out = smp({"spec": {"template": {"spec": {"containers": [{"name": "app", "env": [{"name": "A", "$patch": "delete"}]}]}}}})
    assert out["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "B", "value": "2"}]


def test_replace_directive_in_a_list_replaces_it():
    """A `$patch: replace` item makes the patch's items the whole list."""
    out = smp({"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "o:1"}, {"$patch": "replace"}]}}}})
    assert out["spec"]["template"]["spec"]["containers"] == [{"name": "only", "image": "o:1"}]


def test_replace_and_delete_directives_on_maps():
    """`$patch: replace` swaps a map for the patch; `$patch: delete` empties it."""
    replaced = smp({"metadata": {"labels": {"$patch": "replace", "only": "x"}}})
    assert replaced["metadata"]["labels"] == {"only": "x"}
    deleted = smp({"metadata": {"labels": {"$patch": "delete"}}})
    assert deleted["metadata"]["labels"] == {}


def test_retain_keys_drops_the_keys_not_listed():
    """Switching the strategy to Recreate with `$retainKeys` drops rollingUpdate."""
    out = smp({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert out["spec"]["strategy"] == {"type": "Recreate"}


def test_set_element_order_orders_the_merged_list():
    """`$setElementOrder/containers` decides the final order of the merged list."""
    out = smp({"spec": {"template": {"spec": {
        "$setElementOrder/containers": [{"name": "side"}, {"name": "app"}],
        "containers": [{"name": "app", "image": "app:3"}]}}}})
    assert containers(out) == ["side", "app"]
    assert out["spec"]["template"]["spec"]["containers"][1]["image"] == "app:3"


def test_primitive_merge_lists_union_and_delete_from_primitive_list():
    """Finalizers (merge strategy, no key) union; `$deleteFromPrimitiveList` removes values."""
    assert smp({"metadata": {"finalizers": ["c"]}})["metadata"]["finalizers"] == ["c", "a", "b"]
    out = smp({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})
    assert out["metadata"]["finalizers"] == ["b"]


def test_strategic_merge_without_type_info_behaves_as_a_merge_patch():
    """Custom resources (no patch metadata) get merge-patch semantics: lists replace."""
    live = {"spec": {"items": [{"name": "a"}, {"name": "b"}], "keep": 1}}
    out = patching.strategic_merge_patch(live, {"spec": {"items": [{"name": "c"}]}}, type_ref=None)
    assert out == {"spec": {"items": [{"name": "c"}], "keep": 1}}


@pytest.mark.parametrize(
    ("patch", "code", "message"),
    [
        ({"metadata": {"labels": {"$patch": "explode"}}}, 400, "Unknown patch type: explode"),
        ({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}, 500,
         "does not contain declared merge key: name"),
        ({"spec": {"template": {"spec": {"containers": [{"name": "app", "$patch": "merge"}]}}}}, 500,
         "merging lists cannot yet be specified in the patch"),
        ({"spec": {"strategy": {"$retainKeys": "type"}}}, 400, "invalid patch format of retainKeys"),
    ],
    ids=["bad-directive", "missing-merge-key", "merge-directive-in-list", "retain-keys-not-list"],
)
def test_bad_strategic_patches_are_refused(patch, code, message):
    """A malformed strategic merge patch is refused with the real server's status and message."""
    with pytest.raises(statuses.ApiError) as caught:
        smp(patch)
    assert caught.value.code == code and message in caught.value.message


# --- JSON patch ------------------------------------------------------------------------------------


def test_json_patch_operations():
    """add, remove, replace, move, copy and test each do what RFC 6902 says."""
    out = patching.json_patch(LIVE, [
        {"op": "test", "path": "/spec/replicas", "value": 2},
        {"op": "replace", "path": "/spec/replicas", "value": 4},
        {"op": "add", "path": "/metadata/labels/new", "value": "x"},
        {"op": "remove", "path": "/metadata/labels/tier"},
        {"op": "move", "from": "/metadata/labels/new", "path": "/metadata/labels/moved"},
        {"op": "copy", "from": "/metadata/labels/app", "path": "/metadata/annotations"},
        {"op": "add", "path": "/metadata/finalizers/-", "value": "c"},
        {"op": "add", "path": "/metadata/finalizers/0", "value": "first"},
        {"op": "add", "path": "/metadata/labels/a~1b", "value": "slash"},
    ])
    assert out["spec"]["replicas"] == 4
    assert out["metadata"]["labels"] == {"app": "web", "moved": "x", "a/b": "slash"}
    assert out["metadata"]["annotations"] == "web"
    assert out["metadata"]["finalizers"] == ["first", "a", "b", "c"]


@pytest.mark.parametrize(
    ("operations", "reason"),
    [
        ([{"op": "test", "path": "/spec/replicas", "value": 3}], "testing value /spec/replicas failed: test failed"),
        ([{"op": "remove", "path": "/metadata/nope"}], "Unable to remove nonexistent key: nope: missing value"),
        ([{"op": "replace", "path": "/spec/nope", "value": 1}],
         "replace operation does not apply: doc is missing key: /spec/nope: missing value"),
        ([{"op": "add", "path": "/nope/deeper", "value": 1}],
         "add operation does not apply: doc is missing path: /nope/deeper: missing value"),
        ([{"op": "add", "path": "/metadata/finalizers/9", "value": "x"}],
         "Unable to access invalid index: 9: invalid index referenced"),
        ([{"op": "frobnicate", "path": "/spec"}], "Unexpected kind: frobnicate"),
    ],
    ids=["test-fails", "remove-missing", "replace-missing", "add-no-parent", "index-out-of-range", "unknown-op"],
)
def test_json_patch_that_does_not_apply_is_invalid(operations, reason):
    """A JSON patch that cannot apply is the real 422, with the precise reason in the causes."""
    with pytest.raises(statuses.ApiError) as caught:
        patching.json_patch(LIVE, operations)
    status = caught.value.status()
    assert (status["code"], status["reason"]) == (422, "Invalid")
    assert status["message"] == "the server rejected our request due to an error in our request"
    assert status["details"]["causes"][0]["message"] == reason


def test_json_patch_is_all_or_nothing():
    """A failing operation leaves no partial result behind."""
    live = copy.deepcopy(LIVE)
    with pytest.raises(statuses.ApiError):
        patching.json_patch(live, [{"op": "replace", "path": "/spec/replicas", "value": 9},
                                   {"op": "test", "path": "/spec/replicas", "value": 2}])
    assert live == LIVE


def test_a_json_patch_that_is_not_a_list_is_a_bad_request():
    """A body that is not an array of operations is a 400."""
    with pytest.raises(statuses.ApiError) as caught:
        patching.json_patch(LIVE, {"op": "add"})
    assert caught.value.code == 400


_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(alphabet="ab", max_size=2)),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(alphabet="abc", min_size=1, max_size=2), children, max_size=3)),
    max_leaves=8,
)
_objects = st.dictionaries(st.text(alphabet="abc", min_size=1, max_size=2), _json, max_size=4)


@settings(max_examples=80, deadline=None)
@given(obj=_objects, patch=_objects)
def test_a_merge_patch_applied_twice_changes_nothing_more(obj, patch):
    """Retried merge patches (clients retry on conflicts) converge: applying one twice equals applying it once."""
    once = patching.merge_patch(obj, patch)
    assert patching.merge_patch(once, patch) == once


@settings(max_examples=80, deadline=None)
@given(obj=_objects, patch=_objects)
def test_without_type_info_strategic_merge_equals_merge_patch(obj, patch):
    """For custom resources a strategic merge patch gives exactly the merge patch result."""
    assume(not any(isinstance(k, str) and k.startswith("$") for k in patch))
    assert patching.strategic_merge_patch(obj, patch, type_ref=None) == patching.merge_patch(obj, patch)
