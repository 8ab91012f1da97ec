"""saving.save: an output file is replaced whole or left as it was, with the mode open(path, "w") would give.

A full disk and a kill mid-write are real: a child process lowers its file
size limit (RLIMIT_FSIZE) below the new file's size, so the kernel fails the
write with EFBIG (SIGXFSZ ignored) or kills the process (SIGXFSZ's default).
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from deploykit.report import saving, writing
from tests.unit.report import samples

REPO = Path(__file__).resolve().parents[3]
LIMIT = 512  # bytes: below every report file of samples.rolled_back(), above none of the writes before it

CHILD = """
import resource, signal, sys
from pathlib import Path
from deploykit import errors
from deploykit.report import writing
from tests.unit.report import samples

folder = Path(sys.argv[1])
writing.write_all(samples.succeeded(), folder)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN if sys.argv[2] == "full" else signal.SIG_DFL)  # Python ignores it
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
try:
    writing.write_all(samples.rolled_back(), folder)
except errors.ReportError as exc:
    print(exc)
    sys.exit(3)
"""


def _write_twice(folder: Path, how: str) -> subprocess.CompletedProcess[str]:
    """Write succeeded()'s report files, then rolled_back()'s into the same folder with a disk that fills up."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(CHILD.format(limit=LIMIT)), str(folder), how],
                          env=env, capture_output=True, text=True, timeout=60, cwd=REPO)


def test_a_full_disk_leaves_the_previous_report_files_whole_and_no_temporary_file(tmp_path):
    """A full disk mid-write would leave a truncated report.json that CI uploads and fails to parse."""
    done = _write_twice(tmp_path, "full")
    assert done.returncode == 3, done.stdout + done.stderr
    assert "cannot write" in done.stdout
    before = writing.render_all(samples.succeeded())
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_a_writer_killed_mid_write_leaves_the_previous_report_files_whole(tmp_path):
    """A SIGKILLed or OOM-killed job would leave half a report.json / junit.xml for the next reader."""
    done = _write_twice(tmp_path, "killed")
    assert done.returncode == -signal.SIGXFSZ, done.stdout + done.stderr
    before = writing.render_all(samples.succeeded())
    assert {name: (tmp_path / name).read_bytes() for name in before} == before


def test_a_new_file_is_as_readable_as_open_would_make_it(tmp_path):
    """Reports written 0600 (a temporary file's mode) would be unreadable to the CI's artifact uploader."""
    umask = os.umask(0o022)
    try:
        saved = saving.save(tmp_path / "report.json", "{}\n")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o644
    assert saved.read_text() == "{}\n"


def test_a_replaced_file_keeps_its_mode(tmp_path):
    """A report a user had made private (0600) would become world-readable once rewritten."""
    target = tmp_path / "deploy.env"
    target.write_text("OLD=1\n")
    target.chmod(0o600)
    saving.save(target, "NEW=1\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600 and target.read_text() == "NEW=1\n"


def test_a_symlinked_target_is_written_through_the_link(tmp_path):
    """`--report` pointing at a symlink would replace the link by a file and leave its target stale."""
    (tmp_path / "real").mkdir()
    (tmp_path / "link.json").symlink_to(tmp_path / "real" / "report.json")
    saving.save(tmp_path / "link.json", "{}\n")
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real" / "report.json").read_text() == "{}\n"


def test_a_fifo_target_is_written_in_place(tmp_path):
    """`--report /dev/stdout` (or a named pipe) would fail or be replaced by a regular file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    saving.save(fifo, "{}\n")
    reader.join(timeout=10)
    assert got == [b"{}\n"] and stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pipe"]


def test_pipeline_ci_out_on_a_full_disk_keeps_the_previous_file(tmp_path):
    """`pipeline ci --out .gitlab-ci.yml` on a full disk would leave a truncated CI file to commit."""
    shutil.copytree(REPO / "pipelines", tmp_path / "repo" / "pipelines", ignore=shutil.ignore_patterns("ci"))
    (tmp_path / "repo" / ".git").mkdir()
    out = tmp_path / "repo" / ".gitlab-ci.yml"
    out.write_text("# the previous file\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "PYTHONDONTWRITEBYTECODE": "1"}

    def full_disk() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))

    done = subprocess.run([sys.executable, "-m", "deploykit", "pipeline", "ci", "gitlab", "pipelines/demo.yaml",
                           "--out", str(out)], cwd=tmp_path / "repo", env=env, capture_output=True, text=True,
                          timeout=60, preexec_fn=full_disk)
    assert done.returncode != 0 and "cannot be written" in done.stderr, done.stdout + done.stderr
    assert out.read_text() == "# the previous file\n"
    assert sorted(path.name for path in out.parent.iterdir()) == [".git", ".gitlab-ci.yml", "pipelines"]


def test_a_temporary_file_left_by_a_killed_writer_is_removed_by_the_next_save(tmp_path):
    """A SIGKILL mid-write left `.report.json.PID-xxxx.tmp` in the report folder, uploaded with every later artifact."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    abandoned = tmp_path / f".report.json.{gone.pid}-0badf00d.tmp"
    abandoned.write_text('{"half": ')
    saving.save(tmp_path / "report.json", "{}\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report.json"]


def test_a_temporary_file_of_a_writer_still_running_is_left_alone(tmp_path):
    """Two jobs saving the same file at once: removing the other's temporary file would fail its save."""
    running = tmp_path / f".report.json.{os.getpid()}-0badf00d.tmp"
    running.write_text('{"half": ')
    other = tmp_path / ".other.json.1-0badf00d.tmp"
    other.write_text("x")
    saving.save(tmp_path / "report.json", "{}\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([running.name, other.name, "report.json"])
