"""The pipeline runner: pipeline file model and loading, stage runner, gates and promotion evidence.

`model` holds the pipeline file as data; `loading` reads a pipeline file into
it (JSON Schema in `schema/pipeline.v1.json`, the checks beyond it in
`checking`, located `problems`). The stage runner, the promotion evidence and
the CI generators come next (issue 11).
"""
