"""The pipeline runner: pipeline file model and loading, stage runner, gates and promotion evidence.

`model` holds the pipeline file as data. The loader, the stage runner, the
promotion evidence and the CI generators come next (issue 11).
"""
