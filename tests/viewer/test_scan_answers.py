"""What a scan's worker sends back (issue 22): the row and the bytes of its 8-bit map files,
never float maps, and what the writing process does with them: write those bytes, nothing
else. No worker processes and no Ray here (fast); the end-to-end comparisons of a local,
a ``--jobs 2`` and a Ray scan are in test_scan_pool.py and test_scan_ray.py.
"""

from __future__ import annotations

import io
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.analyses import get_analysis_spec
from engine.io import load_evidence
from forensic_viewer.scan import encoded, maps
from forensic_viewer.scan.encoded import EncodedRecord
from forensic_viewer.scan.maps import analysis_map_name, heatmap_png, map_name, thumb_name
from forensic_viewer.scan.pool_worker import Task, analyse_task, build_worker
from forensic_viewer.scan.records import ErrorRecord, record_to_json
from forensic_viewer.scan.run import run_scan, write_outcome
from tests.viewer.test_scan_pool import _files, _folder, _recipe, _rows, _untimed
from tests.viewer.test_scan_prefetch import files_of

CLASSIC = ("ela",)


class _ArrayFinder(pickle.Pickler):
    """Pickles an object and keeps every numpy array met on the way."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), protocol=5)
        self.arrays: list[np.ndarray] = []

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, np.ndarray):
            self.arrays.append(obj)
        return NotImplemented


def no_quantising(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every way to quantise or encode a map fail: what is written after this was
    encoded before."""

    def refused(*args: Any, **kw: Any) -> None:
        raise AssertionError("the writing process quantised a map")

    for module in (maps, encoded):
        monkeypatch.setattr(module, "heatmap_png", refused)
    monkeypatch.setattr(maps, "levels", refused)


def test_a_workers_answer_holds_the_row_and_8_bit_files_and_the_writer_only_writes_them(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path / "ev", ["a.png", "b.jpg"])
    recipe = _recipe(tiny_checkpoint)
    one = run_scan(files_of(folder), recipe.build(), tmp_path / "one", source="t", analyses=CLASSIC)
    assert one.done == 2
    analyzer, _ = build_worker(recipe, "t", CLASSIC)
    answers = [
        analyse_task(analyzer, Task(i, folder / k, k, None), lambda: False, True, CLASSIC)
        for i, k in enumerate(["a.png", "b.jpg"])
    ]
    for answer in answers:
        assert answer is not None and isinstance(answer.outcome, EncodedRecord)
        finder = _ArrayFinder()
        finder.dump(answer)
        assert finder.arrays == []  # no pixels, no float maps, not even 8-bit arrays
        key = answer.outcome.record.path
        assert [name for name, _ in answer.outcome.files] == [
            map_name(key, "tiny"),
            analysis_map_name(key, "ela", get_analysis_spec("ela").provenance.version),
            thumb_name(key),
        ]
        heat = analyzer.analyze(load_evidence(folder / key)).results["tiny"].heatmap
        assert answer.outcome.files[0][1] == heatmap_png(heat)  # the one encoder's bytes
        assert answer.outcome.nbytes < 4 * heat.size  # less than one float32 map
    no_quantising(monkeypatch)
    out = tmp_path / "two"
    written = [write_outcome(a.outcome, out) for a in answers if a is not None]
    rows = _rows(tmp_path / "one")
    for record in written:  # the statistics were taken in the worker, from the float maps
        assert _untimed(json.loads(json.dumps(record_to_json(record)))) == _untimed(
            rows[record.path]
        )
    assert _files(tmp_path / "one", "maps") == _files(out, "maps")
    assert _files(tmp_path / "one", "thumbs") == _files(out, "thumbs")


def test_a_result_that_cannot_be_encoded_is_the_files_error_row_made_in_the_worker(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path / "ev", ["a.png"])
    analyzer, _ = build_worker(_recipe(tiny_checkpoint), "t", ())

    def broken(heatmap: Any, keep: Any = ()) -> bytes:
        raise OSError("encoder gave up")  # no errno: the encoder's complaint, not a disk's

    monkeypatch.setattr(encoded, "heatmap_png", broken)
    answer = analyse_task(
        analyzer, Task(0, folder / "a.png", "a.png", None), lambda: False, True, ()
    )
    assert answer is not None and isinstance(answer.outcome, ErrorRecord)
    assert answer.outcome.error == (
        f"{folder / 'a.png'}: unexpected OSError while recording its result: encoder gave up"
    )
    assert [m for m, _ in answer.problems] == [answer.outcome.error]  # its traceback: scan.log
    assert write_outcome(answer.outcome, tmp_path / "out") is answer.outcome
    assert not (tmp_path / "out").exists()  # an error row has no files
