"""The redactor masks a secret in any letter case, and a short common word only as a whole word."""

import pytest

from deploykit.secrets import redaction

SECRET = "Pw-zk9q-Secret"


def masked(text: str, *secrets: str, words: bool = True) -> str:
    redactor = redaction.Redactor()
    redactor.register_all(secrets)
    return redactor.mask(text, words=words)


@pytest.mark.parametrize("change", [str.upper, str.lower, str.title, str.capitalize, str.swapcase], ids=lambda f: f.__name__)
def test_a_case_changed_secret_is_masked(change):
    """`secret | upper` (or lower, title, capitalize, swapcase) would print the password in clear."""
    assert masked(f"label {change(SECRET)!r} is not valid", SECRET) == f"label '{redaction.MASK}' is not valid"


def test_a_case_change_that_changes_the_length_is_masked():
    """`upper` of a password holding ß (which becomes SS) would slip past a case-insensitive match."""
    secret = "straße-Zk9q"
    assert "ZK9Q" not in masked(f"name {secret.upper()}", secret)


def test_a_short_word_is_masked_only_as_a_whole_word():
    """A secret `admin` would mask `administrator`, `sysadmin` and `admin_group` in unrelated objects."""
    text = "user: admin\nrole: administrator\nhome: /home/sysadmin\ngroup: admin_group\nurl: http://admin@db"
    assert masked(text, "admin") == f"user: {redaction.MASK}\nrole: administrator\nhome: /home/sysadmin\ngroup: admin_group\nurl: http://{redaction.MASK}@db"


def test_a_short_word_is_masked_in_any_case():
    """`Values.user | upper` of a secret `admin` would print ADMIN."""
    assert masked("USER=ADMIN", "admin") == f"USER={redaction.MASK}"


def test_a_long_secret_is_masked_inside_other_text():
    """A random password glued to other text (`prefix{{ secret }}`) would show once masking needs word boundaries."""
    assert masked("tokenXk9q2mZpLw7Rsuffix", "Xk9q2mZpLw7R") == f"token{redaction.MASK}suffix"


def test_words_false_keeps_short_words_but_masks_long_secrets():
    """A Secret's key named like a short secret would be masked; or a long secret used as a key would show."""
    assert masked("admin: ***\nXk9q2mZpLw7R: ***", "admin", "Xk9q2mZpLw7R", words=False) == f"admin: ***\n{redaction.MASK}: ***"


def test_a_word_that_starts_a_longer_secret_leaves_nothing_of_it():
    """With secrets `admin` and `admin-Zk9q-pass`, the longer one would be masked only up to `admin`."""
    assert masked("x admin-Zk9q-pass y", "admin", "admin-Zk9q-pass") == f"x {redaction.MASK} y"
