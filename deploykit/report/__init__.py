"""Stage reports: what one pipeline stage did on one cluster, as data and as the files CI reads.

`model` (the report as plain, versioned dataclasses and their JSON form),
one small pure writer per file (`jsonfile` report.json, `junit` junit.xml,
`markdown` summary.md, `dotenv` deploy.env, `timeline` timeline.svg),
`writing.write_all` (every file through the caller's mask), `signing`
(ed25519 report.sig), `saving` (every output file deploykit writes, whole or
not at all) and `cilog` (GitLab / GitHub log sections and
annotations). docs/reports.md describes the files.

The lowest layer above `errors`: it imports nothing else of deploykit (release
and pipeline build reports from their results), and knows nothing of secrets:
masking is a callable passed in.
"""
