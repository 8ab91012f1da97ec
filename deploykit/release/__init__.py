"""Releases: the actions that turn a chart and its inputs into what runs in the cluster, and back.

Actions, each a short script of named phases returning plain data
(`results.DeployResult`), usable from Python as the CLI uses them:

    upgrading.upgrade(kube, upgrading.UpgradeOptions(render=RenderOptions(...)), track=..., say=print)
    upgrading.prepare(...)        the plan alone (`deploykit plan`)
    rolling_back.rollback(...), uninstalling.uninstall(...), querying.history / status / list_releases / ...
    adopting.adopt_helm(...)      a release Helm installed, taken over in place (`deploykit adopt helm`)

Render: `inputs` (command-line inputs to values layers, sops files decrypted
through `secrets`) and `rendering` (load, compose, validate, render, lint).
Mechanism and data under the actions: `revisions` (a revision rendered,
stamped and fingerprinted, or reproduced from its record), `planning` /
`plans` / `diffing` (the plan), `applying` (server-side apply in order,
prune), `hooks`, `deploying` (deploy one revision, restore the last one),
`ownership`, `fingerprinting`, `records` / `storage` (revisions as Secrets),
`locking` (a Lease per release), `cancelling` (SIGTERM / SIGINT stop a
deploy at its next safe point, in any thread), `deployers` (who deploys, from CI
variables), `helmrecords` (Helm's release records read) and `fieldowners`
(managedFields moved from Helm's manager to deploykit's).

Must not print or parse flags (cli does) and must not talk to the cluster
except through `kube`.
"""
