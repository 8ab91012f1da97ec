"""Stage reports for the report tests: one rolled back after a crash-looping Deployment, one clean success."""

from __future__ import annotations

from deploykit.report import model


def rolled_back(secret: str = "no-secret") -> model.StageReport:
    """A stage whose `web` release failed (a crash-looping container) and was rolled back; `secret` sits in logs,
    reasons and values."""
    crash = model.FailureReport(
        reason=f"CrashLoopBackOff: container api exited 1 (DB_PASSWORD={secret})", object="Deployment/api",
        pod="api-7d9f-x2x", container="api", exit_code=1, seconds=14.2,
        logs=["starting api", f"connecting with password {secret}", "\x1b[31mfatal: auth failed\x1b[0m"],
    )
    web = model.ReleaseReport(
        name="web", namespace="shop", status="rolled-back", revision_before=3, revision_after=4,
        plan={"create": 1, "update": 3, "delete": 0, "unchanged": 2},
        objects=[
            model.ObjectReport(kind="ConfigMap", name="web-config", namespace="shop", status="applied",
                               applied_at="2026-12-04T10:00:02.100Z"),
            model.ObjectReport(kind="Secret", name=f"web-{secret}", namespace="shop", status="applied",
                               applied_at="2026-12-04T10:00:02.150Z"),
            model.ObjectReport(kind="Service", name="web", namespace="shop", status="ready",
                               applied_at="2026-12-04T10:00:02.200Z", seconds_to_ready=0.3),
            model.ObjectReport(kind="Deployment", name="frontend", namespace="shop", status="ready",
                               applied_at="2026-12-04T10:00:02.300Z", seconds_to_ready=9.6),
            model.ObjectReport(kind="Deployment", name="api", namespace="shop", status="failed",
                               applied_at="2026-12-04T10:00:02.400Z", failure=crash),
            model.ObjectReport(kind="PodDisruptionBudget", name="web", namespace="shop", status="unchanged"),
        ],
        hooks=[model.HookReport(event="pre-upgrade", kind="Job", name="migrate", ok=True, seconds=1.4)],
        failure=crash,
        rollback=model.RollbackReport(to_revision=3, ok=True, seconds=4.1),
        timings={"decrypt": 0.4, "render": 0.2, "plan": 0.1, "apply": 0.5, "track": 14.3, "rollback": 4.1},
    )
    worker = model.ReleaseReport(
        name="worker", namespace="shop", status="deployed", revision_before=7, revision_after=8,
        plan={"update": 1},
        objects=[model.ObjectReport(kind="Deployment", name="worker", namespace="shop", status="ready",
                                    applied_at="2026-12-04T10:00:01.000Z", seconds_to_ready=5.0)],
        timings={"render": 0.1, "plan": 0.1, "apply": 0.2, "track": 5.0},
    )
    return model.StageReport(
        pipeline="shop", stage="production", cluster="eu-west", status=model.ROLLED_BACK,
        started_at="2026-12-04T10:00:00.000Z", finished_at="2026-12-04T10:00:21.000Z",
        artifact_digest="sha256:" + "ab" * 32,
        ci=model.CiJob(system="gitlab", commit="0123abcd", ref="main", job_id="812", project="acme/shop",
                       job_url="https://gitlab.example/acme/shop/-/jobs/812", actor="maria"),
        environment_url=f"https://shop.example/?token={secret}", releases=[worker, web],
    )


def succeeded() -> model.StageReport:
    """A stage whose one release went from revision 1 to 2 with every object ready."""
    return model.StageReport(
        pipeline="shop", stage="staging", cluster="local", status=model.SUCCESS,
        started_at="2026-12-04T09:00:00.000Z", finished_at="2026-12-04T09:00:04.500Z",
        releases=[model.ReleaseReport(
            name="web", namespace="shop", status="deployed", revision_before=1, revision_after=2,
            plan={"update": 1}, timings={"apply": 0.2, "track": 3.0},
            objects=[model.ObjectReport(kind="Deployment", name="web", namespace="shop", status="ready",
                                        applied_at="2026-12-04T09:00:01.000Z", seconds_to_ready=3.0)],
        )],
    )
