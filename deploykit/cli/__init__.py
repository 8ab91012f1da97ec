"""The command line: typer apps, one module per command group.

A command module binds flags into an options object, calls one action of a
lower layer, prints the result and owns the exit code. It must not hold
deploy logic, and it must import heavy libraries (kubernetes, jinja2, gnupg)
only inside the command that needs them, so `deploykit --help` stays fast.
"""
