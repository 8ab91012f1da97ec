"""ResourceQuota admission of pods: the refusal a ReplicaSet turns into FailedCreate."""

import pytest

from deploykit.sim import quotas, statuses


def pod(name, phase="Running"):
    return {"metadata": {"name": name}, "status": {"phase": phase}}


def quota(name, hard):
    return {"metadata": {"name": name}, "spec": {"hard": hard}}


def test_pod_beyond_the_quota_is_forbidden_with_the_real_message():
    """A quota would never stop a pod, so a blocked roll out could not be simulated."""
    with pytest.raises(statuses.ApiError) as caught:
        quotas.check_pod(pod("web-3"), quotas=[quota("compute", {"pods": "2"})], pods=[pod("web-1"), pod("web-2")])
    assert caught.value.code == 403
    assert caught.value.message == ('pods "web-3" is forbidden: exceeded quota: compute, requested: pods=1, '
                                    "used: pods=2, limited: pods=2")


def test_finished_pods_do_not_count_and_other_limits_are_ignored():
    """Completed Job pods would use up a quota, or CPU-only quotas would refuse every pod."""
    quotas.check_pod(pod("new"), quotas=[quota("compute", {"count/pods": "1"}), quota("cpu", {"requests.cpu": "1"})],
                     pods=[pod("done", phase="Succeeded")])
