"""Chart archives are read in memory, and unsafe entries are refused by name."""

import io
import tarfile

import pytest

from deploykit import errors
from deploykit.charts import unpacking


def archive(*members: tuple[tarfile.TarInfo, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return buffer.getvalue()


def file(name: str, data: bytes = b"x") -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def test_files_are_keyed_below_the_top_folder():
    """A packaged chart would load with its paths shifted (web/Chart.yaml instead of Chart.yaml)."""
    data = archive(file("web/Chart.yaml", b"name: web"), file("web/templates/a.yaml", b"a"))
    assert unpacking.read_archive(data, archive="web.tgz") == {"Chart.yaml": b"name: web", "templates/a.yaml": b"a"}


def test_link_inside_the_chart_takes_its_target_content():
    """A chart that links a shared file inside itself would fail to load."""
    data = archive(file("web/files/a.txt", b"shared"), link("web/templates/b.txt", "../files/a.txt"))
    assert unpacking.read_archive(data, archive="web.tgz")["templates/b.txt"] == b"shared"


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ([file("/etc/web/Chart.yaml")], "absolute path"),
        ([file("web/../../etc/passwd")], "'..'"),
        ([file("web/Chart.yaml"), link("web/templates/x", "../../../etc/passwd")], "pointing out of the chart"),
        ([file("web/Chart.yaml"), link("web/templates/x", "/etc/passwd")], "absolute path"),
        ([file("web/Chart.yaml"), link("web/templates/x", "etc/passwd", tarfile.LNKTYPE)], "not a file in the chart"),
        ([file("web/Chart.yaml"), file("other/Chart.yaml")], "top folder"),
        ([file("Chart.yaml")], "archive root"),
    ],
)
def test_unsafe_entry_is_refused_naming_it(members, reason):
    """A malicious archive could write or read outside the chart."""
    data = archive(*members)
    with pytest.raises(errors.ArchiveError) as caught:
        unpacking.read_archive(data, archive="evil.tgz")
    assert caught.value.message.startswith("evil.tgz: entry ")
    assert reason in caught.value.message


def test_device_file_is_refused():
    """A character device in an archive would be read as a template."""
    info = tarfile.TarInfo("web/templates/dev")
    info.type = tarfile.CHRTYPE
    data = archive(file("web/Chart.yaml"), (info, None))
    with pytest.raises(errors.ArchiveError, match="'web/templates/dev' is a device"):
        unpacking.read_archive(data, archive="evil.tgz")


def test_oversized_entry_is_refused_before_reading_it(monkeypatch):
    """A decompression bomb would fill memory before anything complained."""
    monkeypatch.setattr(unpacking, "MAX_FILE_BYTES", 1000)
    data = archive(file("web/Chart.yaml"), file("web/files/big.bin", b"\0" * 5000))
    with pytest.raises(errors.ArchiveError, match="'web/files/big.bin' is 5000 bytes, above the per-file limit of 1000"):
        unpacking.read_archive(data, archive="bomb.tgz")


def test_total_size_bound_names_the_entry_that_crosses_it(monkeypatch):
    """Many files under the per-file limit could still exhaust memory."""
    monkeypatch.setattr(unpacking, "MAX_TOTAL_BYTES", 2500)
    data = archive(*(file(f"web/files/{i}.bin", b"\0" * 1000) for i in range(4)))
    with pytest.raises(errors.ArchiveError, match="'web/files/2.bin' takes the archive past the limit of 2500"):
        unpacking.read_archive(data, archive="bomb.tgz")


def test_entry_count_bound(monkeypatch):
    """An archive of millions of empty files would take forever to load."""
    monkeypatch.setattr(unpacking, "MAX_FILES", 3)
    data = archive(*(file(f"web/f{i}") for i in range(5)))
    with pytest.raises(errors.ArchiveError, match="past the limit of 3 entries"):
        unpacking.read_archive(data, archive="many.tgz")


def test_corrupt_archive_is_a_clear_error():
    """A truncated download would give a zlib traceback."""
    data = archive(file("web/Chart.yaml", b"x" * 10000))[:40]
    with pytest.raises(errors.ArchiveError, match="not a readable .tgz|corrupt"):
        unpacking.read_archive(data, archive="cut.tgz")
