"""ResourceQuota admission for pod counts: the classic reason a ReplicaSet reports FailedCreate.

Pure: given the namespace's quotas and pods, decide whether one more pod fits.
Only `pods` / `count/pods` limits are enforced (no CPU or memory accounting).
"""

from __future__ import annotations

from typing import Any, Iterable

from deploykit.sim import statuses

TERMINAL_PHASES = ("Succeeded", "Failed")


def _limit(quota: dict[str, Any]) -> int | None:
    hard = (quota.get("spec") or {}).get("hard") or {}
    for key in ("pods", "count/pods"):
        if key in hard:
            try:
                return int(str(hard[key]))
            except ValueError:
                return None
    return None


def check_pod(pod: dict[str, Any], *, quotas: Iterable[dict[str, Any]], pods: Iterable[dict[str, Any]]) -> None:
    """Raise 403 Forbidden `exceeded quota` when a quota of the namespace has no room for `pod`."""
    used = sum(1 for p in pods if (p.get("status") or {}).get("phase") not in TERMINAL_PHASES)
    for quota in sorted(quotas, key=lambda q: q["metadata"]["name"]):
        limit = _limit(quota)
        if limit is not None and used + 1 > limit:
            name = pod["metadata"]["name"]
            quota_name = quota["metadata"]["name"]
            raise statuses.ApiError(
                403, "Forbidden",
                f'pods "{name}" is forbidden: exceeded quota: {quota_name}, requested: pods=1, '
                f"used: pods={used}, limited: pods={limit}",
                {"name": name, "kind": "pods"},
            )
