"""A folder of many photographs opened in the viewer at once and walked through: what the
window keeps of each file is bounded, and a file whose pixels and maps were let go is shown
again as it was (gui/retention.py)."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSettings

from forensic_viewer.gui import workers
from forensic_viewer.gui.job_queue import JobQueue
from forensic_viewer.gui.main_window import CANCELLED_WORDS, RELEASED_WORDS, MainWindow
from forensic_viewer.gui.panels import EvidenceList
from forensic_viewer.gui.retention import Retention, held_bytes
from forensic_viewer.model_layers import HeatmapLayer
from tests.conftest import HANG_MS, HANG_S
from tests.viewer.conftest import open_listed, write_image
from tests.viewer.test_progressive import slow_tiles  # noqa: F401 (a fixture)

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, tmp_path: Path, tiny_checkpoint: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(models=[str(tiny_checkpoint)], device="cpu", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window._models_known, timeout=HANG_MS)
    return window


def _folder(tmp_path: Path, n: int) -> list[Path]:
    folder = tmp_path / "photos"
    folder.mkdir()
    return [write_image(folder / f"p{i:02d}.png", seed=i) for i in range(n)]


def _idle(window: MainWindow) -> bool:
    return not any(e.running for e in window.entries.values()) and window.renderer.idle


def _holding(window: MainWindow) -> list[str]:
    """The files whose pixels or maps the window holds."""
    return [p for p, e in window.entries.items() if held_bytes(e.evidence, e.analysis, e.classic)]


def _show(qtbot, window: MainWindow, path: Path) -> None:
    window.evidence_list.setCurrentItem(window.evidence_list.entry(str(path)))
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)


def test_walking_through_a_folder_holds_the_pixels_and_maps_of_a_bounded_number_of_files(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    """Every file analysed kept its decoded pixels, heatmap and mask in the window, so a
    folder of a few hundred photographs walked through held them all (2 MP: 14 MB a file)."""
    files = _folder(tmp_path, 6)
    open_listed(qtbot, window, [files[0].parent])
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    one = held_bytes(window.entries[str(files[0])].analysis)
    window.retention.limit = 2 * one  # two files, the one shown among them
    verdicts = {p: window.evidence_list.badge_text(p) for p in window.entries}
    for path in files[1:]:  # the limit binds from the next file shown on
        _show(qtbot, window, path)
        assert len(_holding(window)) <= 2
    assert _holding(window) == [str(files[-2]), str(files[-1])]  # the last two shown
    # every file keeps its verdict in the list, its row once, its SHA-256 for the case log
    assert window.evidence_list.count() == 6
    assert {p: window.evidence_list.badge_text(p) for p in window.entries} == verdicts
    for path in files:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        assert window.entries[str(path)].evidence.sha256 == sha


def test_a_released_file_shown_again_is_decoded_and_analysed_again_as_it_was(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    files = _folder(tmp_path, 4)
    open_listed(qtbot, window, [files[0].parent])
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    first = window.entries[str(files[0])]
    before = first.analysis
    assert before is not None
    score = {k: r.score for k, r in before.results.items()}
    heatmap = {k: r.heatmap.copy() for k, r in before.results.items()}
    window.retention.limit = 0  # only the file shown and those analysed keep anything
    _show(qtbot, window, files[1])
    assert first.released and not held_bytes(first.evidence, first.analysis)
    assert first.evidence.sha256 == before.evidence.sha256  # said while it is let go

    with qtbot.waitSignal(window.worker.loaded, timeout=HANG_MS):
        window.show_entry(str(files[0]))
        assert window.verdict_panel.text() == RELEASED_WORDS
        assert window.current_analysis() is None  # no report of maps it no longer holds
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    again = window.current_analysis()
    assert again is not None and not first.released
    assert window.layers is not None
    assert np.array_equal(window.layers.image.pixels, np.asarray(Image.open(files[0])))
    assert {k: r.score for k, r in again.results.items()} == score
    for name, layer in ((la.model, la) for la in window.layers if isinstance(la, HeatmapLayer)):
        np.testing.assert_allclose(layer.heatmap, heatmap[name], atol=1e-6)
    sha = hashlib.sha256(files[0].read_bytes()).hexdigest()
    assert window.metadata_panel.value("SHA-256") == sha
    assert window.evidence_list.count() == 4


def test_a_released_file_whose_analysis_was_cancelled_is_shown_again_still_cancelled(
    qtbot, window: MainWindow, tmp_path: Path, gate: threading.Event
) -> None:
    """A file let go after a Cancel stopped its analysis was shown again as "cancelled" with
    no image until Ctrl+R: only analysing again decoded a released file."""
    big = write_image(tmp_path / "big.png", 512, 512)
    queued = write_image(tmp_path / "queued.png", seed=1)
    other = write_image(tmp_path / "other.png", seed=2)
    with qtbot.waitSignal(window.worker.progress, timeout=HANG_MS):
        open_listed(qtbot, window, [big, queued])  # big runs; queued waits, decoded
    qtbot.waitUntil(lambda: window.entries[str(queued)].evidence is not None, timeout=HANG_MS)
    window.cancel()  # big is held at its first progress (gate): it cannot end first
    gate.set()
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    entry = window.entries[str(queued)]
    assert entry.cancelled and entry.analysis is None
    window.show_entry(str(queued))  # looked at after the Cancel: its image, "cancelled"
    assert window.layers is not None and window.verdict_panel.text() == CANCELLED_WORDS
    window.retention.limit = 0
    open_listed(qtbot, window, [other])
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    assert entry.released
    analysed: list[str | None] = []  # the files analysed from now on
    window.worker.progress.connect(lambda job, *_: analysed.append(window._job_paths.get(job)))
    window.show_entry(str(queued))
    qtbot.waitUntil(lambda: window.layers is not None, timeout=HANG_MS)
    assert np.array_equal(window.layers.image.pixels, np.asarray(Image.open(queued)))
    assert window.verdict_panel.text() == CANCELLED_WORDS
    assert "cancelled" in window.evidence_list.badge_text(str(queued))
    assert not entry.running and window.current_analysis() is None
    sha = hashlib.sha256(queued.read_bytes()).hexdigest()
    assert window.metadata_panel.value("SHA-256") == sha
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    assert analysed == []  # shown, not analysed: Ctrl+R does that
    _show(qtbot, window, other)  # let go again, and shown again the same way
    assert entry.released
    window.show_entry(str(queued))
    qtbot.waitUntil(lambda: window.layers is not None, timeout=HANG_MS)
    assert window.verdict_panel.text() == CANCELLED_WORDS
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    assert str(queued) not in analysed  # other.png was, shown again after it was let go


def test_a_released_file_removed_from_disk_says_so_in_one_line(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    files = _folder(tmp_path, 2)
    open_listed(qtbot, window, [files[0].parent])
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    window.retention.limit = 0
    _show(qtbot, window, files[1])
    files[0].unlink()
    _show(qtbot, window, files[0])
    assert "cannot be read" in window.evidence_list.badge_text(str(files[0]))
    assert window.statusBar().currentMessage() == f"{files[0]}: no such file"
    assert window.verdict_panel.text() == f"{files[0]}: no such file"
    assert window.metadata_panel.value("SHA-256") == "not read"  # not the bytes it had
    assert window.current_analysis() is None and window.layers is None


def test_a_file_removed_before_its_turn_is_one_line_and_the_others_go_on(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(workers, "DECODE_AHEAD_PIXELS", 1)  # later files wait undecoded
    files = _folder(tmp_path, 5)
    write_image(files[0], 400, 400)
    open_listed(qtbot, window, [files[0].parent])
    files[2].unlink()
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    badges = [window.evidence_list.badge_text(str(p)) for p in files]
    assert "cannot be read" in badges[2]
    assert all("flagged" in b for i, b in enumerate(badges) if i != 2)


def test_retention_releases_the_oldest_beyond_its_limit_never_those_kept() -> None:
    kept = Retention(limit=100)
    for path in "abcd":
        kept.touch(path, 40)
    kept.touch("a", 40)  # shown again: the last to go
    assert kept.over(keep={"b"}) == ["c", "d"]
    assert kept.held == 80


def test_the_file_the_analyst_selects_is_analysed_before_the_others_queued(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files were analysed strictly in the order opened: the analyst who selected the last
    of a folder waited for every file before it (a few hundred: an hour with real models)."""
    monkeypatch.setattr(workers, "DECODE_AHEAD_PIXELS", 1)  # later files wait undecoded
    # The first file's analysis waits at its first progress until the last file is selected:
    # timed by the image's size alone, it had sometimes finished (and the next begun) first.
    selected, begun = threading.Event(), threading.Event()
    real = workers.throttled_partial

    def held(send):
        inner = real(send)

        def on_progress(p) -> None:
            inner(p)
            begun.set()
            selected.wait(HANG_S)

        return on_progress

    monkeypatch.setattr(workers, "throttled_partial", held)
    files = _folder(tmp_path, 6)
    order: list[str] = []
    window.worker.succeeded.connect(lambda _job, a: order.append(Path(a.evidence.path).name))
    open_listed(qtbot, window, [files[0].parent])
    qtbot.waitUntil(begun.is_set, timeout=HANG_MS)
    window.evidence_list.setCurrentItem(window.evidence_list.entry(str(files[-1])))
    # decoded (and so queued for analysis) before the first file ends: else, on a loaded
    # machine, the analysis thread took the file already waiting before this one was queued
    qtbot.waitUntil(lambda: window.entries[str(files[-1])].evidence is not None, timeout=HANG_MS)
    selected.set()
    # every result recorded: the window's own slot can mark the last file done a turn of the
    # event loop before this test's slot records it
    qtbot.waitUntil(lambda: _idle(window) and len(order) == 6, timeout=HANG_MS)
    assert order.index(files[-1].name) <= 1  # at most the file already running before it
    rest = [name for name in order if name != files[-1].name]
    assert rest == sorted(rest) and len(order) == 6  # the others in the order opened


def test_a_preferred_job_goes_first_but_never_before_a_model_change() -> None:
    class Job:
        def __init__(self, job: int) -> None:
            self.job = job

    queue = JobQueue(lambda item: item == "models")
    a, b, c = Job(1), Job(2), Job(3)
    for item in (a, b, "models", c):
        queue.put(item)
    queue.prefer(3)  # behind the model change: it waits its turn
    assert queue.get() == (a, False) and not queue.preferred_waiting(other_than=2)
    queue.prefer(2)
    assert queue.preferred_waiting(other_than=1)
    assert queue.get() == (b, True)
    assert queue.get() == ("models", False) and queue.get() == (c, False)
    queue.prefer(3)  # taken already, then looked at: handled first wherever it waits
    assert queue.claim(3) and not queue.claim(3)


def test_the_evidence_list_finds_a_files_row_without_reading_the_others(
    qapp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each badge set and each progress line looked the row up by reading every row before
    it: opening 300 files read 45,000 rows on the GUI thread."""
    evidence = EvidenceList()
    paths = [f"/evidence/p{i:03d}.jpg" for i in range(300)]
    read: list[int] = []
    original = EvidenceList.item
    monkeypatch.setattr(EvidenceList, "item", lambda self, i: read.append(i) or original(self, i))
    rows = [evidence.entry(p) for p in paths]
    assert [evidence.entry(p) for p in reversed(paths)] == rows[::-1]  # the same rows
    assert evidence.count() == 300 and len(read) < 300
    assert [evidence.path_of(evidence.item(i)) for i in range(300)] == paths


@pytest.mark.usefixtures("slow_tiles")
def test_files_cancelled_after_their_decode_count_towards_the_limit(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    """A Cancel with files decoded ahead and not analysed left their pixels outside the
    limit (up to DECODE_AHEAD_PIXELS, about 1.2 GB, for each folder opened and cancelled)."""
    files = _folder(tmp_path, 6)
    window.retention.limit = 96 * 128 * 3 * 3 // 2  # one decoded file and a half
    open_listed(qtbot, window, [files[0].parent])
    entries = [window.entries[str(p)] for p in files]
    qtbot.waitUntil(lambda: all(e.evidence is not None for e in entries), timeout=HANG_MS)
    window.cancel()
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    assert all(e.cancelled or e.analysis is not None for e in entries)
    assert sum(e.cancelled for e in entries) >= 4  # decoded, then cancelled unanalysed
    assert len(_holding(window)) <= 2, _holding(window)  # the file shown and one more


def test_a_file_cancelled_before_its_decode_is_shown_with_its_image_still_cancelled(
    qtbot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    gate: threading.Event,
) -> None:
    """A file of a folder dropped and cancelled while it waited undecoded (beyond the pixels
    decoded ahead) was shown as "analysis cancelled" with no image and no metadata until
    Ctrl+R: only a file let go by the retention limit was decoded again to be shown."""
    monkeypatch.setattr(workers, "DECODE_AHEAD_PIXELS", 1)  # later files wait undecoded
    files = _folder(tmp_path, 4)
    write_image(files[0], 512, 512)
    with qtbot.waitSignal(window.worker.progress, timeout=HANG_MS):
        open_listed(qtbot, window, [files[0].parent])
    window.cancel()  # the first file is held at its first progress (gate): it cannot end first
    gate.set()
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    entry = window.entries[str(files[-1])]
    assert entry.cancelled and entry.evidence is None and not entry.released
    analysed: list[str | None] = []  # the files analysed from now on
    window.worker.progress.connect(lambda job, *_: analysed.append(window._job_paths.get(job)))
    _show(qtbot, window, files[-1])
    qtbot.waitUntil(lambda: window.layers is not None, timeout=HANG_MS)
    assert np.array_equal(window.layers.image.pixels, np.asarray(Image.open(files[-1])))
    assert window.verdict_panel.text() == CANCELLED_WORDS
    assert "cancelled" in window.evidence_list.badge_text(str(files[-1]))
    sha = hashlib.sha256(files[-1].read_bytes()).hexdigest()
    assert window.metadata_panel.value("SHA-256") == sha
    qtbot.waitUntil(lambda: _idle(window), timeout=HANG_MS)
    assert analysed == [] and not entry.running  # shown, not analysed: Ctrl+R does that
    assert window.current_analysis() is None
