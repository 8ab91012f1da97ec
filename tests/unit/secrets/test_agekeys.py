"""age identities and recipients."""

from deploykit.secrets import agekeys
from tests.plugins.secrets import AGE_KEY_FILE, AGE_RECIPIENT


def _identity() -> str:
    return next(line for line in AGE_KEY_FILE.read_text().splitlines() if line.startswith("AGE-SECRET-KEY-1"))


def test_recipient_of_the_example_identity():
    """`deploykit secrets keys` would not recognise the key that opens the demo secrets."""
    assert agekeys.recipient_of(_identity()) == AGE_RECIPIENT


def test_generated_pair_matches():
    """Tests that need a wrong key would get an identity whose recipient is not its own."""
    identity, recipient = agekeys.generate()
    assert identity.startswith("AGE-SECRET-KEY-1")
    assert agekeys.recipient_of(identity) == recipient


def test_corrupted_identity_is_rejected():
    """A typo in a CI variable would be reported as a usable key."""
    identity = _identity()
    broken = identity[:-1] + ("Q" if identity[-1] != "Q" else "P")
    assert agekeys.recipient_of(broken) is None
    assert agekeys.recipient_of("not a key") is None


def test_identities_found_in_key_file_text_and_environment(tmp_path):
    """Keys from SOPS_AGE_KEY or the default key file would be ignored by `keys`."""
    env = {"SOPS_AGE_KEY": "# comment\n" + _identity(), "HOME": str(tmp_path)}
    found = agekeys.identities_from_environment(env)
    assert [(i.origin, i.recipient) for i in found] == [("SOPS_AGE_KEY", AGE_RECIPIENT)]
    assert _identity() not in repr(found)
