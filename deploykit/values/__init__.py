"""Values: load, deep-merge, `--set` parsing, provenance and JSON Schema checks.

Owns everything about the values a chart is rendered with: reading values
files (`loading`), Helm's merge rules (`merging`), Helm's `--set` syntax
(`setting`), which layer every leaf came from and whether it is secret
(`provenance`), the values a subchart sees (`scoping`), value paths as users
write them (`paths`) and values.schema.json validation (`schema`).

Must not render templates, decrypt files or talk to a cluster; must stay
import-light (no jinja2, no kubernetes; jsonschema only inside `schema`
functions), so this package re-exports nothing: import the module you need.
"""
