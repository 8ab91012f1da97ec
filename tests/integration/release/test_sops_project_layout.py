"""Deploying from the folder that holds the project's .sops.yaml, helm-secrets' usual layout."""

from __future__ import annotations

import subprocess
import sys


def test_upgrade_run_beside_the_projects_sops_yaml_seals_its_key(deploy, sops_project):
    """Run where .sops.yaml lives, upgrade failed: sops refused to seal the release key ("no matching creation rules")."""
    done = subprocess.run(
        [sys.executable, "-m", "deploykit", "upgrade", "app", str(deploy.chart), "--install", "--create-namespace",
         "-n", deploy.namespace, "-f", "secrets/app.yaml", "--timeout", "30s", "--kubeconfig", deploy.kubeconfig],
        cwd=sops_project.root, env=deploy.env, capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert deploy.records(), "no release record was written"
