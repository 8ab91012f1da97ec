"""`deploykit secrets`: encrypt, decrypt, edit, rotate, updatekeys, check and keys for sops files.

Binds flags and calls deploykit.secrets; prints results. Errors are raised
as `errors.SecretsError` (exit 2) and printed by the CLI root, masked.

Must not: print plaintext anywhere but `decrypt --stdout` (which writes to
the real stdout, past the masking stream, because that is its point).
"""

from __future__ import annotations

from pathlib import Path

import typer

from deploykit import errors
from deploykit.cli import apps
from deploykit.secrets import (
    checking,
    decrypting,
    editing,
    keyrings,
    metadata,
    recipients,
    redaction,
)

app = apps.command_app(help="Encrypt, decrypt, edit, rotate and check sops secret files.", no_args_is_help=True)

FILE_ARG = typer.Argument(..., help="A sops secret file (YAML, JSON or dotenv).", show_default=False)


@app.command(short_help="Encrypt FILE with its .sops.yaml rule.")
def encrypt(
    file: Path = FILE_ARG,
    in_place: bool = typer.Option(False, "--in-place", "-i", help="Write the ciphertext back to FILE."),
) -> None:
    """Encrypt FILE with the keys of the nearest .sops.yaml (ciphertext to stdout, or in place)."""
    ciphertext = editing.encrypt(file, in_place=in_place)
    if in_place:
        typer.echo(f"encrypted {file} in place", err=True)
    else:
        typer.echo(ciphertext.decode("utf-8"), nl=False)


@app.command(short_help="Print FILE's plaintext (only with --stdout).")
def decrypt(
    file: Path = FILE_ARG,
    stdout: bool = typer.Option(False, "--stdout", help="Print the plaintext to stdout (required: decrypt never writes files)."),
    force: bool = typer.Option(False, "--force", help="Print plaintext even in CI (CI=true)."),
) -> None:
    """Print the plaintext of FILE, only when asked with --stdout; refused in CI unless --force."""
    if not stdout:
        raise errors.UsageError(
            f"{file}: decrypt prints plaintext only when asked explicitly",
            hint="add --stdout (deploykit never writes decrypted files); to check a file, use `deploykit secrets check`",
        )
    if decrypting.is_ci() and not force:
        raise errors.UsageError(
            f"{file}: refusing to print plaintext secrets in CI (CI=true): CI logs keep them",
            hint="add --force if you really mean it",
        )
    plaintext = editing.decrypt_plaintext(file)
    out = redaction.raw_stdout()
    out.write(plaintext.decode("utf-8", "replace"))
    out.flush()


@app.command(short_help="Edit FILE in $EDITOR through sops.")
def edit(file: Path = FILE_ARG) -> None:
    """Edit FILE in $EDITOR through sops (creates it, encrypted, if it does not exist)."""
    changed = editing.edit(file)
    typer.echo(f"{file}: {'saved' if changed else 'not changed'}", err=True)


@app.command(short_help="Re-encrypt FILE under a new data key.")
def rotate(file: Path = FILE_ARG) -> None:
    """Re-encrypt FILE in place under a new data key."""
    editing.rotate(file)
    typer.echo(f"{file}: rotated to a new data key", err=True)


@app.command(short_help="Give FILE the recipients of its .sops.yaml.")
def updatekeys(file: Path = FILE_ARG) -> None:
    """Re-encrypt FILE's data key to the recipients of its .sops.yaml rule (no prompt)."""
    summary = editing.updatekeys(file)
    if summary.strip():
        typer.echo(summary.rstrip())
    typer.echo(f"{file}: keys updated from its .sops.yaml", err=True)


@app.command(short_help="CI guard: secret files encrypted and decryptable.")
def check(
    paths: list[Path] = typer.Argument(None, help="Files or folders to check (default: the current folder).", show_default=False),
) -> None:
    """Check that every secret file is sops-encrypted and decryptable with the current keys (CI guard)."""
    findings = checking.check(paths or [Path(".")])
    if not findings:
        typer.echo("no secret files found (.sops.yaml path_regex rules, secrets/ folders)")
        return
    for finding in findings:
        if finding.ok:
            typer.echo(f"ok    {finding.path}")
        else:
            problem = (finding.problem or "").replace("\n", "\n      ")
            typer.echo(f"FAIL  {finding.path}\n      {problem}")
    bad = [f for f in findings if not f.ok]
    typer.echo(f"{len(findings)} secret files checked, {len(bad)} with problems")
    for hint in dict.fromkeys(f.hint for f in bad if f.hint):
        typer.echo(f"hint: {hint}")
    if bad:
        raise errors.SecretsError(
            f"{len(bad)} of {len(findings)} secret files are not encrypted or cannot be decrypted",
            hint="`deploykit secrets keys FILE` shows which keys a file needs",
        )


@app.command(short_help="Which recipients of FILE this environment has.")
def keys(file: Path = FILE_ARG) -> None:
    """Show which recipients of FILE the current environment can use to decrypt it."""
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise errors.SecretsError(f"{file}: cannot be read: {exc.strerror}") from None
    key_info = metadata.read(content, fmt=metadata.file_format(file))
    if key_info is None:
        raise errors.NotEncryptedError(f"{file}: not sops-encrypted, so it has no recipients")
    handed = keyrings.handed_over()
    if handed:
        typer.echo(f"keys handed over in {', '.join(handed)} are included")
    assessments = recipients.assess(key_info, env=keyrings.sops_environment())
    width = max(len(a.status) for a in assessments) if assessments else 0
    for assessment in assessments:
        typer.echo(f"{assessment.status:<{width}}  {assessment.recipient.label}  ({assessment.detail})")
    if assessments and not any(a.status != recipients.MISSING for a in assessments):
        raise errors.NoKeyError(
            f"{file}: this environment holds no key for any of its {len(assessments)} recipients",
            hint="set SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, GNUPGHOME, DEPLOYKIT_AGE_KEY or DEPLOYKIT_PGP_KEY",
        )
