"""Secrets: sops-encrypted values decrypted in memory only, CI keyrings, and the run's redactor.

    sops.py         the sops subprocess: locate, version check, exit codes -> errors
    metadata.py     a sops file's format, encryption state and recipients, read without decrypting
    ciphertexts.py  what sops ciphertext looks like, and the leaves of values it may hide in
    rules.py        which files are secret files (.sops.yaml creation rules, secrets/ folders)
    decrypting.py   DecryptedFile; parallel, cached, redacted decryption of values files
    keyrings.py     the environment sops runs in; ephemeral GnuPG homes for keys CI hands over
    agekeys.py      age identities and their recipients
    recipients.py   which of a file's recipients this environment can use
    checking.py     the CI guard behind `deploykit secrets check`
    editing.py      encrypt, edit, rotate, updatekeys, plaintext for `decrypt --stdout`
    scratch.py      the memory-backed folder for sops's editor flow, removed even on SIGTERM
    redaction.py    Redactor, masking streams: no decrypted value in any printed line
    kubesecrets.py  the values a Kubernetes Secret object holds (docker-config credentials too), for the redactor
    patterns.py     the redactor's pattern: a secret escaped to any depth, in any letter case
    deriving.py     secret text a chart can derive from a value (JSON/YAML documents, b64dec, tpl)
    fingerprints.py keyed fingerprints of secret values for release records

Must not import values/ or charts/ (siblings); release/ and cli/ join them.
"""
