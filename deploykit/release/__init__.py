"""Releases: the actions that turn a chart and its inputs into what gets deployed.

Today it owns the render action (`inputs`: CLI inputs to values layers,
decrypting sops files through `secrets`; `rendering`: load, compose, validate,
render, lint), shared by `template` and `lint`; the foundations of the deploy
engine: `records` (a revision as data, its payload and parts), `storage`
(records as Secrets), `locking` (a Lease per release) and `deployers` (who
deploys, from CI variables). The engine (plan, hooks, upgrade, atomic
rollback) comes here. Must not print or parse flags (cli does) and must not
talk to the cluster except through `kube`.
"""
