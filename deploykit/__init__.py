"""deploykit: take an application from a Git repository to running Kubernetes
environments, stage by stage: decrypt, render, validate, plan, apply, track,
roll back, report, promote.

This package root stays import-light on purpose: `deploykit --help` must not
pay for the Kubernetes client, Jinja2 or gnupg.
"""

__version__ = "0.1.0"
