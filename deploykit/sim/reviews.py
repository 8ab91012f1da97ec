"""Access reviews: the simulator's authorizer, which allows every request, answering as a real one.

Owns the answers to SelfSubjectAccessReview (`kubectl auth can-i VERB
RESOURCE`: allowed) and SelfSubjectRulesReview (`kubectl auth can-i --list`:
every verb on every resource and non-resource URL). Reviews are created, never
stored, like on a real API server. Pure: the caller passes the request body.
Must not decide anything else: the simulator has no authentication or RBAC
enforcement.
"""

from __future__ import annotations

import copy
from typing import Any

from deploykit.sim import resources, statuses

GROUP = "authorization.k8s.io"
_REASON = "the deploykit simulator allows every request"


def is_review(rt: resources.ResourceType) -> bool:
    return rt.group == GROUP


def answer(rt: resources.ResourceType, body: dict[str, Any]) -> dict[str, Any]:
    """The review `body` asked for, with its status filled in (what a create answers)."""
    review = copy.deepcopy(body)
    review["metadata"] = {k: v for k, v in (review.get("metadata") or {}).items()
                          if k in ("name", "generateName", "labels", "annotations")}
    spec = review.get("spec") or {}
    if rt.kind == "SelfSubjectAccessReview":
        if bool(spec.get("resourceAttributes")) == bool(spec.get("nonResourceAttributes")):
            raise statuses.invalid(GROUP, rt.kind, "", [statuses.invalid_value(
                "spec.resourceAttributes", None,
                "exactly one of nonResourceAttributes or resourceAttributes must be specified")])
        review["status"] = {"allowed": True, "reason": _REASON}
    else:
        review["status"] = {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                            "incomplete": False}
    return review


__all__ = ["GROUP", "answer", "is_review"]
