"""Readiness tracking: status rules per kind (pure), the tracker (watches, fast failure,
events and logs of the release's pods) and its printing.

Rules decide Ready / InProgress / Failed from objects alone and do no I/O. The
tracker talks to the cluster only through the `kube` seam handed to it. Every
line it prints goes through the run's redactor, and no log line of a pod is
shown before the Secrets the pod references are handed to the caller's
`on_secret` (track/ cannot import secrets/; the caller registers them).
"""
