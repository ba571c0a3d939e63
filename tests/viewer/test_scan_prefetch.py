"""Folder scans with decoding ahead of inference: order, bounds, errors, cancel, resume.

Most tests use a stand-in analyzer (a constant heatmap after a short sleep) so that timing
and counting are exact; one compares the real Analyzer with and without prefetch.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

import forensic_viewer.scan.run as scanning
from engine.types import Analysis, Evidence, ModelResult
from forensic_viewer.scan.records import ErrorRecord, FileRecord
from forensic_viewer.scan.results import ResultIndex, read_records
from forensic_viewer.scan.run import Prefetcher, run_scan
from forensic_viewer.scan.walk import iter_images, rel_key
from tests.conftest import write_rgb


class StubAnalyzer:
    """Analyzer look-alike: one model "stub", heatmap 0.75 everywhere, ``delay`` s per file."""

    def __init__(self, delay: float = 0.0, cancel_after: int | None = None) -> None:
        self.models = [SimpleNamespace(name="stub", sha256="0" * 64)]
        self.names = ["stub"]
        self.window = self.stride = None
        self.ensemble = self.faces = None
        self.delay = delay
        self.calls: list[str] = []
        self.spans: list[tuple[float, float]] = []
        self.threads: set[str] = set()

    def analyze(self, evidence: Evidence, *, progress=None, cancel=None) -> Analysis:
        t0 = time.perf_counter()
        self.threads.add(threading.current_thread().name)
        self.calls.append(Path(evidence.path).name)
        time.sleep(self.delay)
        heat = np.full((evidence.height, evidence.width), 0.75, np.float32)
        r = ModelResult(
            name="stub",
            architecture="stub",
            checkpoint="",
            checkpoint_sha256="0" * 64,
            rule="forged_fraction",
            score=0.9,
            verdict="manipulated",
            forged_fraction=1.0,
            threshold=0.1,
            pixel_threshold=0.5,
            threshold_provenance="stub",
            input_policy={},
            device="cpu",
            precision="fp32",
            seconds=self.delay,
            heatmap=heat,
            mask=heat > 0.5,
        )
        self.spans.append((t0, time.perf_counter()))
        return Analysis(evidence=evidence, results={"stub": r})


class LoadSpy:
    """Wraps ``load_evidence`` in the scanning module: records threads, times and how many
    decoded files are alive (loaded, not yet released) at most."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, delay: float = 0.0) -> None:
        self.real = scanning.load_evidence
        self.starts: dict[str, float] = {}
        self.threads: set[str] = set()
        self.delay = delay
        self.lock = threading.Lock()
        monkeypatch.setattr(scanning, "load_evidence", self)

    def __call__(self, path: Path, **kw: Any) -> Evidence:
        with self.lock:
            self.starts[Path(path).name] = time.perf_counter()
            self.threads.add(threading.current_thread().name)
        time.sleep(self.delay)
        return self.real(path, **kw)


def make_folder(root: Path, n: int, corrupt: set[int] = frozenset()) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        p = root / f"f{i:03d}.png"
        if i in corrupt:
            p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
        else:
            write_rgb(p, 24, 32, seed=i)
    return root


def files_of(folder: Path) -> list[tuple[Path, str]]:
    return [(p, rel_key(p, folder)) for p in iter_images(folder, False)]


def prefetch_threads_alive() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "scan-prefetch" and t.is_alive()]


def test_decoding_overlaps_inference_in_a_background_thread(tmp_path: Path, monkeypatch) -> None:
    folder = make_folder(tmp_path / "ev", 6)
    spy = LoadSpy(monkeypatch)
    an = StubAnalyzer(delay=0.08)
    summary = run_scan(files_of(folder), an, tmp_path / "out", source="t")
    assert summary.done == 6 and not summary.failed
    assert spy.threads == {"scan-prefetch"} and "scan-prefetch" not in an.threads
    # file i+1 was being decoded while file i was analysed
    for i in range(5):
        _start, end = an.spans[i]
        assert spy.starts[f"f{i + 1:03d}.png"] < end
    assert prefetch_threads_alive() == []


def test_without_prefetch_decoding_waits_for_inference(tmp_path: Path, monkeypatch) -> None:
    folder = make_folder(tmp_path / "ev", 3)
    spy = LoadSpy(monkeypatch)
    an = StubAnalyzer(delay=0.05)
    run_scan(files_of(folder), an, tmp_path / "out", source="t", prefetch=0)
    assert spy.threads == {threading.current_thread().name}
    for i in range(2):
        assert spy.starts[f"f{i + 1:03d}.png"] >= an.spans[i][1]


@pytest.mark.parametrize("depth", [1, 2])
def test_decoded_files_ahead_are_bounded(tmp_path: Path, monkeypatch, depth: int) -> None:
    """Fast decoding, slow inference: no more than ``depth`` files are decoded ahead."""
    folder = make_folder(tmp_path / "ev", 10)
    alive = 0
    peak = 0
    lock = threading.Lock()
    real = scanning.load_for_scan

    def counting_load(*a: Any, **kw: Any) -> scanning.Prefetched:
        nonlocal alive, peak
        item = real(*a, **kw)
        with lock:
            alive += 1
            peak = max(peak, alive)
        return item

    real_release = Prefetcher.release

    def counting_release(self: Prefetcher, item: scanning.Prefetched) -> None:
        nonlocal alive
        with lock:
            alive -= 1
        real_release(self, item)

    monkeypatch.setattr(scanning, "load_for_scan", counting_load)
    monkeypatch.setattr(Prefetcher, "release", counting_release)
    summary = run_scan(
        files_of(folder), StubAnalyzer(0.03), tmp_path / "o", source="t", prefetch=depth
    )
    assert summary.done == 10
    assert peak == depth + 1  # the file being analysed and `depth` ahead, never more


def test_a_corrupt_file_travels_as_an_error_record_in_order(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "ev", 5, corrupt={2})
    out = tmp_path / "out"
    seen: list[tuple[int, str, str]] = []
    summary = run_scan(
        files_of(folder),
        StubAnalyzer(),
        out,
        source="t",
        on_file=lambda i, n, r: seen.append((i, r["path"], r["status"])),
    )
    assert [s[0] for s in seen] == [0, 1, 2, 3, 4]
    assert seen[2] == (2, "f002.png", "error")
    assert summary.done == 4 and [k for k, _ in summary.failed] == ["f002.png"]
    rec = read_records(out)["f002.png"]
    assert isinstance(rec, ErrorRecord) and "f002.png" in rec.error and rec.models == ()
    assert rec.file == str((folder / "f002.png").resolve())
    ok = read_records(out)["f001.png"]
    assert isinstance(ok, FileRecord) and ok.evidence is not None
    assert ok.evidence.format == "PNG" and ok.faces_checked is False
    assert ok.thumbnail is not None and (out / ok.thumbnail).is_file()


def test_cancel_stops_the_thread_and_resume_finishes_without_redoing(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "ev", 8)
    out = tmp_path / "out"
    first = StubAnalyzer(delay=0.02)
    summary = run_scan(
        files_of(folder), first, out, source="t", cancel=lambda: len(first.calls) >= 3
    )
    assert summary.cancelled and summary.done == 3
    assert prefetch_threads_alive() == []
    assert set(read_records(out)) == {"f000.png", "f001.png", "f002.png"}
    stamp = (out / "maps" / "f001.png.stub.png").stat().st_mtime_ns
    second = StubAnalyzer()
    again = run_scan(files_of(folder), second, out, source="t")
    assert (again.done, again.skipped) == (5, 3)
    assert second.calls == [f"f{i:03d}.png" for i in range(3, 8)]  # finished files not redone
    assert (out / "maps" / "f001.png.stub.png").stat().st_mtime_ns == stamp
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) == 8 and len({json.loads(x)["path"] for x in lines}) == 8


def test_a_failure_in_the_file_list_reaches_the_caller(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "ev", 3)

    def files():
        yield from files_of(folder)[:2]
        raise RuntimeError("folder listing broke")

    out = tmp_path / "out"
    with pytest.raises(RuntimeError, match="folder listing broke"):
        run_scan(files(), StubAnalyzer(), out, source="t")
    assert prefetch_threads_alive() == []
    assert set(read_records(out)) == {"f000.png", "f001.png"}  # finished work is kept


def test_lazy_file_list_and_unknown_total(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "ev", 4)
    totals: list[int] = []
    gen = ((p, rel_key(p, folder)) for p in iter_images(folder, False))
    summary = run_scan(
        gen, StubAnalyzer(), tmp_path / "out", source="t", on_file=lambda i, n, r: totals.append(n)
    )
    assert totals == [0, 0, 0, 0] and summary.total == 4 and summary.done == 4
    rows = (tmp_path / "out" / "results.csv").read_text().splitlines()
    assert len(rows) == 5


def test_torn_last_line_is_ignored_and_the_next_record_starts_clean(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "ev", 3)
    out = tmp_path / "out"
    run_scan(files_of(folder)[:1], StubAnalyzer(), out, source="t")
    with open(out / "results.jsonl", "a") as f:
        f.write('{"path": "f001.png", "status": "o')  # killed mid-write
    an = StubAnalyzer()
    run_scan(files_of(folder), an, out, source="t")
    assert an.calls == ["f001.png", "f002.png"]
    assert set(read_records(out)) == {"f000.png", "f001.png", "f002.png"}
    for line in (out / "results.jsonl").read_text().splitlines():
        json.loads(line)


def test_result_index_last_record_wins_and_reads_in_the_asked_order(tmp_path: Path) -> None:
    ok = {"status": "ok", "sha256": "0" * 64, "width": 1, "height": 1, "models": {}}
    ens = {"name": "e", "score": 0.5, "verdict": "authentic", "forged_fraction": 0.0}
    recs = [
        {"path": "a", "status": "error", "error": "bad", "models": {}},
        {"path": "b", **ok},
        {"path": "a", **ok, "ensemble": {**ens, "threshold": 0.5}},
        {"path": "c", **ok, "ensemble": ens},  # not a record (no threshold): skipped
    ]
    (tmp_path / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    index = ResultIndex(tmp_path)
    assert index.keys() == ["a", "b"] and index.done_keys() == {"a", "b"}
    assert index.get("a")["status"] == "ok" and index.has_ensemble
    assert index.record("a").ensemble.name == "e"
    assert [r.path for r in index.iter_records(["b", "zz", "a"])] == ["b", "a"]


def test_real_analyzer_gives_the_same_records_with_and_without_prefetch(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    from engine.pipeline import Analyzer

    folder = tmp_path / "ev"
    folder.mkdir()
    for i in range(3):
        write_rgb(folder / f"r{i}.jpg", 48, 40, seed=i, fmt="JPEG")
    an = Analyzer([str(tiny_checkpoint)], device="cpu")
    out: dict[int, dict[str, FileRecord]] = {}
    for depth in (0, 2):
        run_scan(files_of(folder), an, tmp_path / f"o{depth}", source="t", prefetch=depth)
        out[depth] = read_records(tmp_path / f"o{depth}")  # type: ignore[assignment]
    assert set(out[0]) == set(out[2]) == {"r0.jpg", "r1.jpg", "r2.jpg"}
    for key in out[0]:
        a, b = out[0][key].model("tiny"), out[2][key].model("tiny")
        assert a is not None and b is not None
        assert a.score == b.score and a.forged_fraction == b.forged_fraction
        assert out[0][key].sha256 == out[2][key].sha256
