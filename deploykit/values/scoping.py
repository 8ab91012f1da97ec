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


def subchart_values(parent: Values, *, key: str, defaults: ValuesLayer | Values, keep_nulls: bool = False) -> Values:
    """Values for the subchart known as `key` in its parent: defaults < parent's section < parent's globals.

    A null in the parent's section deletes the subchart's default; with
    `keep_nulls` a null over a key the defaults lack stays, for grandchildren.
    """
    return compose([defaults, parent.section(key), parent.section(GLOBAL_KEY).nested(GLOBAL_KEY)], keep_nulls=keep_nulls)
