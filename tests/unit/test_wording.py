"""One did-you-mean and one type naming for every message: pipeline files, Go templates, schema checks."""

from deploykit import wording


def test_a_guess_matching_but_for_case_wins():
    """A pipeline key or Go function typed in the wrong case would get a worse guess, or none."""
    assert wording.did_you_mean("ToYaml", ["toYaml", "fromYaml", "toJson"]) == "toYaml"
    assert wording.did_you_mean("Stages", ["stages", "states"]) == "stages"


def test_an_exact_name_is_its_own_guess_even_beside_a_case_variant():
    """With both `foo` and `Foo` known, `foo` would be answered `Foo`."""
    assert wording.did_you_mean("foo", ["Foo", "foo"]) == "foo"


def test_no_guess_for_a_distant_word_or_a_non_string():
    """A hint would name an unrelated key, or a number key would crash the check."""
    assert wording.did_you_mean("zzz", ["stages", "releases"]) is None
    assert wording.did_you_mean(3, ["stages"]) is None


def test_yaml_and_json_schema_words_name_the_same_types():
    """A pipeline error would say `a list` where a schema error says `array` for another type, or the reverse."""
    values = [None, True, 1, 1.5, "s", [], {}]
    assert [wording.type_name(v) for v in values] == [
        "null", "a boolean", "an integer", "a number", "a string", "a list", "a mapping"]
    assert [wording.json_type(v) for v in values] == [
        "null", "boolean", "number", "number", "string", "array", "object"]
