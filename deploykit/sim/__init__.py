"""deploykit.sim: a Kubernetes API server simulator, with simulated controllers, for tests, the demo and users.

It speaks the Kubernetes REST API over HTTP well enough for the official
Python client, kubectl and Helm 4 (see docs/simulator.md and
docs/simulator-controllers.md). It imports nothing from the rest of
deploykit, which talks to it only over HTTP, exactly as to a real cluster.
"""
