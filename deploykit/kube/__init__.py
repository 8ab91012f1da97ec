"""Talking to a Kubernetes API server: the only package that imports `kubernetes`.

It owns the connection (kubeconfig, context, in-cluster), discovery and the
mapping of apiVersion/kind to REST resources, server-side apply, reads and
deletes, resumable watches, and retries. It translates every client and HTTP
failure into `errors.KubeError`. It knows nothing about charts, releases or
secrets: callers hand it plain object dicts.
"""
