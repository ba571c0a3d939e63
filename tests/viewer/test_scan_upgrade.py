"""A resume after a classic analysis's version changed (``forensic_viewer.scan.upgrade``).

Each scan here is written by the current code with one analysis's registered version
monkeypatched lower, as a scan made before its bump; the resume then runs with the real
version. Calls are counted by wrapping the registered analysis functions and the Analyzer.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from engine.analyses import base
from engine.bomb_guards import MAX_PIXELS_ENV
from engine.ensemble import Ensemble, Member
from engine.pipeline import Analyzer
from forensic_viewer.audit import LOG_NAME, verify_log
from forensic_viewer.cli import main
from forensic_viewer.report import scan_source, write_report
from forensic_viewer.scan import maps
from forensic_viewer.scan.pool import run_pool_scan
from forensic_viewer.scan.pool_worker import AnalyzerRecipe, Task, analyse_task
from forensic_viewer.scan.records import as_record
from forensic_viewer.scan.results import ResultIndex, ResultLog
from forensic_viewer.scan.run import run_scan
from forensic_viewer.scan.upgrade import recorded_rows, upgrade_lines
from tests.conftest import make_tiny_checkpoint, write_rgb
from tests.viewer.conftest import scan_cli, without_sessions
from tests.viewer.test_scan_pool import _folder, _rows, _same_output, _sha, _untimed
from tests.viewer.test_scan_prefetch import files_of

NAMES = ["a.png", "b.jpg", "c.png"]
CLASSIC = ("ela", "noise")


def _older(m: pytest.MonkeyPatch, name: str) -> str:
    """Register ``name`` as version "1" (as before its bumps) while ``m`` holds; the version
    now."""
    spec = base.get_analysis_spec(name)
    old = replace(spec, provenance=replace(spec.provenance, version="1"))
    m.setitem(base._REGISTRY, name, old)
    return spec.provenance.version


def _counted(m: pytest.MonkeyPatch, calls: Counter[str], *names: str) -> None:
    """Count each call of the analyses ``names`` and of ``Analyzer.analyze`` in ``calls``."""
    for name in names:
        spec = base.get_analysis_spec(name)

        def fn(ev: Any, params: Any, ctx: Any, _n: str = name, _f: Any = spec.fn) -> Any:
            calls[_n] += 1
            return _f(ev, params, ctx)

        m.setitem(base._REGISTRY, name, replace(spec, fn=fn))
    analyze = Analyzer.analyze

    def counted(self: Analyzer, *a: Any, **kw: Any) -> Any:
        calls["networks"] += 1
        return analyze(self, *a, **kw)

    m.setattr(Analyzer, "analyze", counted)


def _scan(folder: Path, analyzer: Analyzer, out: Path) -> Any:
    return run_scan(files_of(folder), analyzer, out, source="t", analyses=CLASSIC)


@pytest.fixture
def analyzer(tiny_checkpoint: Path) -> Analyzer:
    return AnalyzerRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False).build()


def test_a_resume_runs_only_the_analysis_whose_version_changed(
    tmp_path: Path, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path / "ev", NAMES)
    old, fresh = tmp_path / "old", tmp_path / "fresh"
    with monkeypatch.context() as m:
        now = _older(m, "noise")
        _scan(folder, analyzer, old)
    assert {r["analyses"]["noise"]["provenance"]["version"] for r in _rows(old).values()} == {"1"}
    _scan(folder, analyzer, fresh)
    calls: Counter[str] = Counter()
    _counted(monkeypatch, calls, *CLASSIC)
    summary = _scan(folder, analyzer, old)  # refused before: "analyses differ"
    assert calls == {"noise": 3}  # no network, no ELA: only the analysis of another version
    assert (summary.done, summary.skipped, summary.failed) == (3, 0, [])
    rows = _same_output(fresh, old)  # rows (timings aside), maps, thumbnails and CSV
    assert {r["analyses"]["noise"]["provenance"]["version"] for r in rows.values()} == {now}
    info = json.loads((old / "scan.json").read_text("utf-8"))
    assert info["analyses"]["noise"]["version"] == now
    upgraded = info["run"]["upgraded"]["noise"]
    assert {k: upgraded[k] for k in ("from", "to", "rerun", "reanalysed")} == {
        "from": ["1"],
        "to": now,
        "rerun": 3,
        "reanalysed": 0,
    }
    assert upgraded["note"] == summary.upgraded["noise"].note
    again = _scan(folder, analyzer, old)  # up to date: nothing runs again
    assert calls == {"noise": 3} and (again.done, again.skipped, again.upgraded) == (0, 3, {})


def test_a_stale_row_of_an_interrupted_upgrade_is_still_found(
    tmp_path: Path, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """scan.json holds the new version once a run began; the rows say which are left."""
    folder = _folder(tmp_path / "ev", NAMES)
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        now = _older(m, "noise")
        _scan(folder, analyzer, out)
    first = run_scan(files_of(folder)[:1], analyzer, out, source="t", analyses=CLASSIC)
    assert first.upgraded["noise"].rerun == 1
    # a report of the folder now names both versions, not the first file's alone
    paths = write_report(scan_source(out), tmp_path / "report", ("json", "html"))
    ran = json.loads(paths["json"].read_text("utf-8"))["analyses"]
    noise = next(a for a in ran if a["name"] == "noise")
    assert noise["version"] == now and noise["other_versions"] == ["1"]
    assert f"<td>{now} (other files: 1)</td>" in paths["html"].read_text("utf-8")
    calls: Counter[str] = Counter()
    _counted(monkeypatch, calls, *CLASSIC)
    rest = _scan(folder, analyzer, out)
    assert calls == {"noise": 2} and (rest.done, rest.skipped) == (2, 1)
    assert not any(r.stale for r in recorded_rows(ResultIndex(out), ()).values())


def test_an_older_analysis_the_ensemble_uses_has_the_file_analysed_again(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ensemble's verdict was made with the older version (and scan.json does not list
    the ensemble's own analyses): the whole file is analysed again, never kept silently."""
    folder = _folder(tmp_path / "ev", NAMES)
    ensemble = Ensemble("pair", [Member("tiny")], localization_analyses={"clone": "replace"})
    analyzer = Analyzer([str(tiny_checkpoint)], device="cpu", ensemble=ensemble)
    old, fresh = tmp_path / "old", tmp_path / "fresh"
    with monkeypatch.context() as m:
        now = _older(m, "clone")
        _scan(folder, analyzer, old)
    _scan(folder, analyzer, fresh)
    stale = recorded_rows(ResultIndex(old), ensemble.analyses)
    assert {r.stale for r in stale.values()} == {(("clone", "1"),)}
    assert all(r.whole for r in stale.values())
    calls: Counter[str] = Counter()
    _counted(monkeypatch, calls, "clone", *CLASSIC)
    summary = _scan(folder, analyzer, old)
    assert calls == {"networks": 3, "clone": 3, "ela": 3, "noise": 3}
    assert summary.upgraded["clone"].to_json()["reanalysed"] == 3
    assert "the ensemble's verdict uses it" in summary.upgraded["clone"].note
    rows = _same_content(fresh, old)
    assert {r["analyses"]["clone"]["provenance"]["version"] for r in rows.values()} == {now}


def _same_content(one: Path, two: Path) -> dict[str, dict[str, Any]]:
    """:func:`_same_output` for a folder ``two`` whose files were analysed again whole: their
    new maps and thumbnails went beside the old ones (``maps.2/``, ``thumbs.2/``:
    ``scan.maps.unnamed``), so each file a row or the CSV names is compared by its bytes, and
    ``two`` holds no other map or thumbnail; the rows of ``two``."""

    def by_content(out: Path) -> tuple[Any, str]:
        rows = _rows(out)
        names = {n: f"<{_sha(out / n)}>" for r in rows.values() for n in as_record(r).files()}
        on_disk = {
            p.relative_to(out).as_posix()
            for sub in ("maps", "maps.2", "thumbs", "thumbs.2")
            if (out / sub).is_dir()
            for p in (out / sub).rglob("*")
            if p.is_file()
        }
        assert on_disk == set(names)  # nothing left behind, nothing named is missing
        text = json.dumps({k: _untimed(r) for k, r in rows.items()}, sort_keys=True)
        csv = (out / "results.csv").read_text(encoding="utf-8")
        for name, content in names.items():
            text, csv = (
                text.replace(json.dumps(name), json.dumps(content)),
                csv.replace(name, content),
            )
        return json.loads(text), csv

    assert by_content(one) == by_content(two)
    return _rows(two)


def test_worker_processes_run_only_the_older_analysis_too(
    tmp_path: Path, tiny_checkpoint: Path, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path / "ev", NAMES)
    old, fresh = tmp_path / "old", tmp_path / "fresh"
    with monkeypatch.context() as m:
        _older(m, "noise")
        _scan(folder, analyzer, old)
    _scan(folder, analyzer, fresh)
    maps = {p.name: p.stat().st_mtime_ns for p in (old / "maps").iterdir()}
    recipe = AnalyzerRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False)
    summary = run_pool_scan(
        files_of(folder), recipe, old, jobs=2, source="t", threads=1, analyses=CLASSIC
    )
    assert summary.upgraded["noise"].rerun == 3 and summary.done == 3
    _same_output(fresh, old)
    now = {p.name: p.stat().st_mtime_ns for p in (old / "maps").iterdir()}
    untouched = {n for n, t in maps.items() if now.get(n) == t}
    assert untouched == {n for n in maps if "noise" not in n}  # the networks' maps are kept
    assert not set(maps) & set(now) - untouched  # the old noise maps are gone, not rewritten


def test_the_command_line_says_what_ran_again_and_still_refuses_other_models(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    folder = _folder(tmp_path / "ev", NAMES)
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        now = _older(m, "noise")
        assert scan_cli(folder, out, tiny_checkpoint, "--analyses", "ela,noise") == 0
    rows = (out / "results.jsonl").read_bytes()
    other = make_tiny_checkpoint(tmp_path / "other.safetensors", "tiny", 7)
    capsys.readouterr()
    assert scan_cli(folder, out, other, "--analyses", "ela,noise") == 2  # another model file
    err = capsys.readouterr().err
    assert "holds results made with other models or settings (models, analyses differ" in err
    assert (out / "results.jsonl").read_bytes() == rows
    case = tmp_path / "case"
    assert (
        scan_cli(folder, out, tiny_checkpoint, "--analyses", "ela,noise", "--case", str(case)) == 0
    )
    said = capsys.readouterr().out
    assert "3 analysed, 0 already done" in said
    assert (
        f"upgraded noise: version 1 in their rows, {now} now: run again on 3 files "
        "(their network results kept)"
    ) in said
    finished = without_sessions(verify_log(case / LOG_NAME).entries)[-1]  # the case log says it too
    assert finished.action == "scan-finished"
    assert finished.details["upgraded"]["noise"]["rerun"] == 3


@pytest.mark.gui
def test_the_batch_dialog_resumes_an_older_analysis_the_same_way(
    qtbot: Any, tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.viewer.test_batch import _dialog, _finish

    folder = _folder(tmp_path / "ev", NAMES)
    out = tmp_path / "out"
    dialog = _dialog(qtbot, folder, out, tiny_checkpoint)
    dialog.analyses.set_checked(["noise"])
    with monkeypatch.context() as m:
        now = _older(m, "noise")
        dialog.start()
        _finish(qtbot, dialog)
    calls: Counter[str] = Counter()
    _counted(monkeypatch, calls, "noise")
    dialog.start()  # refused before ("analyses differ"): the dialog said so and wrote nothing
    _finish(qtbot, dialog)
    summary = dialog.summary
    assert summary is not None and summary.upgraded["noise"].rerun == 3
    assert calls == {"noise": 3}
    assert f"upgraded noise: version 1 in their rows, {now} now" in dialog.message.text()
    assert "3 analysed at" in dialog.progress_text.text()  # work of this run, not skips


def test_a_map_the_new_version_no_longer_makes_is_removed_with_its_entry(
    tmp_path: Path, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As noise 4 makes no relative map where noise 3 did: the folder holds what a fresh scan
    of the new version holds, no map file that no row names."""
    folder = _folder(tmp_path / "ev", NAMES)
    old, fresh = tmp_path / "old", tmp_path / "fresh"
    with monkeypatch.context() as m:
        _older(m, "noise")
        _scan(folder, analyzer, old)
    assert any("noise" in p.name for p in (old / "maps").iterdir())
    spec = base.get_analysis_spec("noise")

    def without_map(ev: Any, params: Any, ctx: Any) -> Any:
        return replace(spec.fn(ev, params, ctx), map=None, meaning=None, display=None)

    monkeypatch.setitem(base._REGISTRY, "noise", replace(spec, fn=without_map))
    _scan(folder, analyzer, fresh)
    _scan(folder, analyzer, old)
    rows = _same_output(fresh, old)  # the maps folders too
    assert all(r["analyses"]["noise"]["map"] is None for r in rows.values())
    assert not any("noise" in p.name for p in (old / "maps").iterdir())


def test_an_older_analysis_run_again_alone_makes_no_thumbnail(
    tmp_path: Path, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row keeps its thumbnail: one made from the decoded file was thrown away, in this
    process and in a worker (``pool.analyse_task``) alike. A file analysed whole still gets
    its own."""
    folder = _folder(tmp_path / "ev", NAMES)
    out, pooled = tmp_path / "out", tmp_path / "pooled"
    with monkeypatch.context() as m:
        _older(m, "noise")
        _scan(folder, analyzer, out)
        _scan(folder, analyzer, pooled)
    thumbs = {p.name: p.read_bytes() for p in (out / "thumbs").iterdir()}
    made: list[tuple[int, ...]] = []
    real = maps.thumbnail

    def counted(rgb: Any, *a: Any, **kw: Any) -> Any:
        made.append(rgb.shape)
        return real(rgb, *a, **kw)

    monkeypatch.setattr(maps, "thumbnail", counted)
    summary = _scan(folder, analyzer, out)
    assert summary.upgraded["noise"].rerun == 3 and made == []
    assert {p.name: p.read_bytes() for p in (out / "thumbs").iterdir()} == thumbs

    results = ResultIndex(pooled)
    rec = recorded_rows(results, ())["a.png"]
    row = as_record(results.get("a.png"))
    task = Task(0, folder / "a.png", "a.png", rec.sha256, rec.stale, rec.whole, row)
    answer = analyse_task(analyzer, task, lambda: False, True, CLASSIC)
    assert answer is not None and made == []  # the row's older analysis, no thumbnail

    whole = Task(0, folder / "a.png", "a.png", rec.sha256, rec.stale, True, None)
    assert analyse_task(analyzer, whole, lambda: False, True, CLASSIC) is not None
    assert len(made) == 1  # analysed whole: a new row, with its thumbnail


def _named_maps(out: Path) -> dict[str, tuple[str, bytes]]:
    """Each classic analysis map the last rows name: (the row's version of it, its bytes).
    Fails when a row names a map that does not exist."""
    named = {}
    for row in _rows(out).values():
        for a in row.get("analyses", {}).values():
            if a.get("map") and a["map"].get("file"):
                file = out / a["map"]["file"]
                assert file.is_file(), f"{row['path']}'s row names {file}, which is missing"
                named[a["map"]["file"]] = (a["provenance"]["version"], file.read_bytes())
    return named


def test_a_file_that_no_longer_decodes_keeps_its_finished_row_not_upgraded(
    tmp_path: Path, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pixel limit lowered since (or a stricter decoder): c.png's bytes are still its
    row's (SHA-256 checked), so its results stay valid for them; an error row replacing the
    finished one lost its network results. The run says the file was not upgraded, and why."""
    folder = _folder(tmp_path / "ev", NAMES)  # c.png: 56 x 56 = 3136 pixels
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        now = _older(m, "noise")
        _scan(folder, analyzer, out)
    rows = _rows(out)
    maps = _named_maps(out)
    with monkeypatch.context() as m:
        m.setenv(MAX_PIXELS_ENV, "3000")  # lowered since: c.png is over it now
        summary = _scan(folder, analyzer, out)
    assert (summary.done, summary.skipped, summary.failed) == (2, 1, [])
    after = _rows(out)
    assert after["c.png"] == rows["c.png"]  # the finished row, as it was
    kept = {f: v for f, v in maps.items() if f.startswith("maps/c.png.")}
    assert kept and {f: v for f, v in _named_maps(out).items() if f in kept} == kept
    noise = summary.upgraded["noise"]
    assert (noise.rerun, noise.kept) == (2, 1)
    info = json.loads((out / "scan.json").read_text("utf-8"))["run"]["upgraded"]["noise"]
    assert (info["rerun"], info["not_upgraded"]) == (2, 1)
    lines = [x for x in upgrade_lines(summary.upgraded) if x.startswith("not upgraded: ")]
    assert len(lines) == 1 and str(folder / "c.png") in lines[0]
    assert "pixel limit" in lines[0] and f"noise 1 to {now}" in lines[0]
    again = _scan(folder, analyzer, out)  # the limit back: the upgrade is done now
    assert again.upgraded["noise"].rerun == 1 and again.upgraded["noise"].kept == 0
    assert _rows(out)["c.png"]["analyses"]["noise"]["provenance"]["version"] == now


def test_analyze_out_keeps_the_finished_row_the_same_way(
    tmp_path: Path, tiny_checkpoint: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    img = write_rgb(tmp_path / "big.png", h=60, w=70)
    out = tmp_path / "o"
    argv = ["analyze", str(img), "--out", str(out), "--model", str(tiny_checkpoint)]
    argv += ["--no-faces", "--analyses", "noise"]
    with monkeypatch.context() as m:
        _older(m, "noise")
        assert main(argv) == 0
    rows = (out / "results.jsonl").read_text(encoding="utf-8")
    monkeypatch.setenv(MAX_PIXELS_ENV, "3000")  # lowered since: the image is over it now
    capsys.readouterr()
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert f"not upgraded: {img}" in said and "its finished row" in said
    assert (out / "results.jsonl").read_text(encoding="utf-8") == rows


class Killed(BaseException):
    """The scan killed between writing a file's new maps and appending its new row."""


@pytest.mark.parametrize("new_map", [True, False], ids=["new-map", "map-dropped"])
def test_a_scan_killed_mid_upgrade_leaves_rows_naming_their_own_maps(
    tmp_path: Path, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch, new_map: bool
) -> None:
    """The new version's map used to overwrite the old one (or the old one was removed, when
    the new version makes none) before the row was appended: killed in between, the old row
    named a map of the new version, or one that was gone, until resumed."""
    folder = _folder(tmp_path / "ev", NAMES)
    old, fresh = tmp_path / "old", tmp_path / "fresh"
    with monkeypatch.context() as m:
        _older(m, "noise")
        _scan(folder, analyzer, old)
    maps = _named_maps(old)
    assert {v for v, _ in maps.values()} == {"1", base.get_analysis_spec("ela").provenance.version}
    spec = base.get_analysis_spec("noise")

    def new_version(ev: Any, params: Any, ctx: Any) -> Any:
        """Another map (halved), or none, as noise 4 makes no relative map where 3 did."""
        r = spec.fn(ev, params, ctx)
        if new_map:
            return replace(r, map=r.map * 0.5)
        return replace(r, map=None, meaning=None, display=None)

    monkeypatch.setitem(base._REGISTRY, "noise", replace(spec, fn=new_version))
    with monkeypatch.context() as m:
        real = ResultLog.append

        def killed(self: ResultLog, record: Any) -> Any:
            if record.path == "b.jpg":
                raise Killed
            return real(self, record)

        m.setattr(ResultLog, "append", killed)
        with pytest.raises(Killed):
            _scan(folder, analyzer, old)
    rows = _rows(old)
    assert rows["b.jpg"]["analyses"]["noise"]["provenance"]["version"] == "1"
    now = _named_maps(old)  # every map a last row names exists
    assert {f: v for f, v in now.items() if f.startswith("maps/b.jpg.")} == {
        f: v for f, v in maps.items() if f.startswith("maps/b.jpg.")
    }  # b.jpg's old row names its own maps, byte for byte as its version made them
    summary = _scan(folder, analyzer, old)  # the resume completes the upgrade
    assert summary.upgraded["noise"].rerun == 2 and summary.skipped == 1
    _scan(folder, analyzer, fresh)
    _same_output(fresh, old)  # no map of the older version left behind


def test_an_upgrade_of_a_row_that_replaced_an_earlier_one_is_not_counted_as_changed(
    tmp_path: Path, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row analysed again because its bytes changed keeps ``replaces`` (its section says
    "Changed since an earlier run"); a later run that only upgrades its classic analyses
    counted it again among the files "changed since analysed", in its summary line, though
    no byte had changed since (found resuming an examiner's scan after a metadata version
    bump: "4 analysed, 0 already done, 1 changed since analysed")."""
    folder = _folder(tmp_path / "ev", NAMES)
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        _older(m, "noise")
        _scan(folder, analyzer, out)
        write_rgb(folder / "a.png", 40, 56, seed=99)  # other bytes
        changed = _scan(folder, analyzer, out)
    replaces = _rows(out)["a.png"]["replaces"]
    assert changed.changed == ["a.png"] and replaces["sha256"] != _rows(out)["a.png"]["sha256"]
    upgraded = _scan(folder, analyzer, out)
    assert upgraded.upgraded["noise"].rerun == 3 and upgraded.done == 3
    assert upgraded.changed == []  # nothing changed in this run
    assert _rows(out)["a.png"]["replaces"] == replaces  # the row still says it replaced one
