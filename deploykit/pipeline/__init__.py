"""The pipeline runner: the pipeline file, stages run with gates and promotion evidence, CI configuration.

`model` (the file as data), `loading` / `checking` / `problems` (reading it,
every problem with file, line and field), `evidence` (the promoted artifact
and its digest), `gates` (approval, signed reports of required stages),
`running` (one stage on its clusters, releases in `needs` order through the
engine), `reporting` (results to stage reports), `stages` (the stage
action), `ci` (GitLab CI and GitHub Actions files).
"""
