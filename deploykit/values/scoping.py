"""Scoping: the values a subchart sees, from its defaults and its parent's values.

Owns Helm's rule for subchart values: the subchart's own defaults, under the
parent's section for it (`<name or alias>:`), with the parent's `global`
merged over both, every leaf keeping its origin. Must not decide whether a
subchart is enabled (conditions, tags) or import values: that is `charts`.
"""

from __future__ import annotations

from deploykit.values.layers import ValuesLayer
from deploykit.values.provenance import Values, compose

GLOBAL_KEY = "global"


def subchart_values(parent: Values, *, key: str, defaults: ValuesLayer | Values) -> Values:
    """Values for the subchart known as `key` in its parent: defaults < parent's section < parent's globals."""
    return compose([defaults, parent.section(key), parent.section(GLOBAL_KEY).nested(GLOBAL_KEY)])
