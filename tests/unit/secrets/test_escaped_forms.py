"""The redactor masks a secret as Jinja's own filters and Python's repr() write it (found by the leak audit)."""

import jinja2
import pytest

from deploykit.secrets import redaction

SECRET = "pw-Zk9q/Xw+Lp=Tt7s'<&>\" x"


@pytest.mark.parametrize("expression", ["v | urlencode", "{'k': v} | urlencode", "v | tojson", "v | e", "v | forceescape"])
def test_jinja_filter_output_is_masked(expression):
    """A chart writing a secret through one of Jinja's escaping filters would print it unmasked."""
    redactor = redaction.Redactor()
    redactor.register(SECRET)
    printed = jinja2.Environment().from_string("[{{ %s }}]" % expression).render(v=SECRET)
    assert printed != "[]"
    assert "Zk9q" not in redactor.mask(printed)


def test_repr_in_an_error_message_is_masked():
    """An error quoting a secret with repr() (it escapes ' when both quote kinds occur) would show it."""
    redactor = redaction.Redactor()
    redactor.register(SECRET)
    assert "Zk9q" not in redactor.mask(f"Values.x[{SECRET!r}] is not defined")


def test_repr_of_a_line_of_a_multiline_secret_is_masked():
    """A YAML error quoting one line of a JSON key file with repr() would show that line, backslashes doubled."""
    redactor = redaction.Redactor()
    redactor.register('{\n  "private_key": "-----BEGIN-----\\nMIIEvQIBADAN\\n"\n}')
    line = '  "private_key": "-----BEGIN-----\\nMIIEvQIBADAN\\n"'
    assert "MIIEvQIBADAN" not in redactor.mask(f"rendered line 7 is {line!r}")
