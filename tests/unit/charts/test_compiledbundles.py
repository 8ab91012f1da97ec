"""The bundle of a chart tree's compiled templates: only its own texts served, damage and concurrent saves harmless."""

import marshal
import threading

import jinja2.bccache

from deploykit.charts import compiledbundles

SOURCES = {"app/templates/a.yaml": "a: {{ 1 }}\n", "app/templates/b.yaml": "b: {{ 2 }}\n"}


def code_of(text: str):
    return compile(f"x = {text!r}", "<t>", "exec")


def saved_bundle(directory, sources=SOURCES, names=None):
    bundle = compiledbundles.Bundle(str(directory), sources)
    for name in names or sources:
        bundle.add(name, compiledbundles.checksum(sources[name]), code_of(sources[name]))
    bundle.save()
    return compiledbundles.Bundle(str(directory), sources)


def test_entry_serves_only_the_text_it_was_compiled_from(tmp_path):
    """An edited template would render its old compiled text."""
    bundle = saved_bundle(tmp_path)
    name = "app/templates/a.yaml"
    assert bundle.code(name, compiledbundles.checksum(SOURCES[name])) == code_of(SOURCES[name])
    assert bundle.code(name, compiledbundles.checksum("a: {{ 3 }}\n")) is None
    assert bundle.code("app/templates/other.yaml", compiledbundles.checksum(SOURCES[name])) is None


def test_damaged_bundle_reads_as_empty(tmp_path):
    """A bundle restored half-written (or from another deploykit) would fail the render or run wrong code."""
    good = saved_bundle(tmp_path).path
    data = open(good, "rb").read()
    name = "app/templates/a.yaml"
    for damaged in (data[:-7], data[: len(compiledbundles.MAGIC) + 3], b"garbage", b"x" + data[1:],
                    compiledbundles.MAGIC + marshal.dumps({name: "not an entry"}),
                    compiledbundles.MAGIC + marshal.dumps({name: (compiledbundles.checksum(SOURCES[name]), b"\x00junk")})):
        with open(good, "wb") as handle:
            handle.write(damaged)
        assert compiledbundles.Bundle(str(tmp_path), SOURCES).code(name, compiledbundles.checksum(SOURCES[name])) is None


def test_bundle_of_the_earlier_layout_reads_as_empty(tmp_path):
    """A cache kept from the deploykit before (code marshalled per template) would fail the render or run junk."""
    name = "app/templates/a.yaml"
    earlier = b"deploykit-compiled-bundle-1\n" + jinja2.bccache.bc_magic + marshal.dumps(
        {name: (compiledbundles.checksum(SOURCES[name]), marshal.dumps(code_of(SOURCES[name])))})
    bundle = compiledbundles.Bundle(str(tmp_path), SOURCES)
    with open(bundle.path, "wb") as handle:
        handle.write(earlier)
    assert bundle.code(name, compiledbundles.checksum(SOURCES[name])) is None


def test_bundle_of_the_earlier_layout_is_left_to_the_deploykit_that_wrote_it(tmp_path):
    """Two deploykit versions sharing a CI cache would each recompile every template and overwrite the other's bundle."""
    names = list(SOURCES)
    earlier = tmp_path / compiledbundles.bundle_path(str(tmp_path), names).rsplit("/", 1)[-1].replace(
        f".v{compiledbundles.FORMAT}.bundle", ".bundle")
    earlier.write_bytes(b"deploykit-compiled-bundle-1\n")
    saved_bundle(tmp_path)
    assert earlier.read_bytes() == b"deploykit-compiled-bundle-1\n"
    assert len(list(tmp_path.iterdir())) == 2


def test_saves_of_two_processes_merge_into_one_whole_bundle(tmp_path):
    """Two CI jobs saving at once would leave a torn file, or the second would drop what the first compiled."""
    first = compiledbundles.Bundle(str(tmp_path), SOURCES)
    second = compiledbundles.Bundle(str(tmp_path), SOURCES)
    for bundle, name in ((first, "app/templates/a.yaml"), (second, "app/templates/b.yaml")):
        bundle.code(name, compiledbundles.checksum(SOURCES[name]))  # both read the (missing) file before either saves
        bundle.add(name, compiledbundles.checksum(SOURCES[name]), code_of(SOURCES[name]))
    first.save()
    second.save()
    reread = compiledbundles.Bundle(str(tmp_path), SOURCES)
    assert all(reread.code(name, compiledbundles.checksum(text)) == code_of(text) for name, text in SOURCES.items())
    assert [p.name for p in tmp_path.iterdir()] == [reread.path.rsplit("/", 1)[-1]]  # no partial file left behind


def test_concurrent_saves_never_leave_a_torn_bundle(tmp_path):
    """A reader racing a writer would see half a file and run truncated code."""
    sources = {f"app/templates/t{i}.yaml": f"t: {i}\n" * 200 for i in range(40)}
    errors = []

    def save_many():
        try:
            for _ in range(10):
                saved_bundle(tmp_path, sources)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=save_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for _ in range(50):
        reader = compiledbundles.Bundle(str(tmp_path), sources)
        name = "app/templates/t7.yaml"
        found = reader.code(name, compiledbundles.checksum(sources[name]))
        assert found is None or found == code_of(sources[name])
    for thread in threads:
        thread.join()
    assert not errors
    reread = compiledbundles.Bundle(str(tmp_path), sources)
    assert all(reread.code(name, compiledbundles.checksum(text)) == code_of(text) for name, text in sources.items())


def test_save_drops_entries_of_texts_the_tree_no_longer_has(tmp_path):
    """The bundle of a chart edited many times would grow with every old version of its templates."""
    saved_bundle(tmp_path)
    edited = {**SOURCES, "app/templates/a.yaml": "a: {{ 9 }}\n"}
    bundle = saved_bundle(tmp_path, edited, names=["app/templates/a.yaml"])
    entries = compiledbundles.read_entries(open(bundle.path, "rb").read())
    assert {name: entry[0] for name, entry in entries.items()} == {name: compiledbundles.checksum(text) for name, text in edited.items()}


def test_unusable_folder_costs_only_compile_time(tmp_path):
    """A read-only cache location would fail the render instead of compiling again."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    bundle = compiledbundles.Bundle(str(blocker / "jinja"), SOURCES)
    name = "app/templates/a.yaml"
    assert bundle.code(name, compiledbundles.checksum(SOURCES[name])) is None
    bundle.add(name, compiledbundles.checksum(SOURCES[name]), code_of(SOURCES[name]))
    bundle.save()
    assert compiledbundles.Bundle(None, SOURCES).code(name, compiledbundles.checksum(SOURCES[name])) is None


def test_threads_sharing_one_bundle_lose_nothing_they_compiled(tmp_path):
    """A pipeline rendering one chart for several clusters at once would crash saving, or drop compiled templates."""
    sources = {f"app/templates/t{i}.yaml": f"t: {i}\n" for i in range(200)}
    bundle = compiledbundles.Bundle(str(tmp_path), sources)
    errors = []

    def compile_and_save(part):
        try:
            for name in list(sources)[part::4]:
                bundle.code(name, compiledbundles.checksum(sources[name]))
                bundle.add(name, compiledbundles.checksum(sources[name]), code_of(sources[name]))
                bundle.save()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=compile_and_save, args=(part,)) for part in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    reread = compiledbundles.Bundle(str(tmp_path), sources)
    assert all(reread.code(name, compiledbundles.checksum(text)) == code_of(text) for name, text in sources.items())
