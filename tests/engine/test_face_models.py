"""Face models (issue 20, item 4): checkpoints of scope "faces" run on the face path only, and
an ensemble's face rule lets a flagged face flag the image."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from engine.assembly import assemble_analyzer
from engine.checkpoints import CheckpointMeta, LoadedModel, check_meta, load_checkpoint
from engine.decision import AUTHENTIC, MANIPULATED
from engine.ensemble import Ensemble, Member, rescale, rescale_map
from engine.errors import CheckpointError
from engine.pipeline import Analyzer
from engine.types import FaceRegion, FaceScore, ModelResult
from tests.conftest import make_tiny_checkpoint, memory_evidence
from tests.engine.test_facepath import CentreMarker, FakeDetector


def _face_model(path: Path, name: str = "face") -> LoadedModel:
    loaded = load_checkpoint(make_tiny_checkpoint(path, name=name))
    meta = dataclasses.replace(loaded.meta, scope="faces")
    return dataclasses.replace(loaded, meta=meta, model=CentreMarker())


def _save_face_checkpoint(path: Path, name: str = "face") -> Path:
    from trainer.calibrate import write_decision

    src = make_tiny_checkpoint(path.with_name(f"src-{path.name}"), name=name)
    meta = dataclasses.replace(load_checkpoint(src).meta, scope="faces")
    write_decision(src, path, meta)
    return path


def test_prepare_makes_the_face_models_runners_before_the_first_face(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.pipeline as pipeline

    made: list[object] = []
    real = pipeline.make_runner

    def spy(model: object, **kw: object) -> object:
        made.append(model)
        return real(model, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "make_runner", spy)
    whole = load_checkpoint(make_tiny_checkpoint(tmp_path / "whole.safetensors", name="whole"))
    face = _face_model(tmp_path / "face.safetensors")
    analyzer = Analyzer(
        [whole], device="cpu", faces=FakeDetector((100, 60, 80, 80)), face_models=[face]
    )
    analyzer.prepare()
    assert any(m is face.model for m in made)  # made (converted, compiled) at load time
    before = len(made)
    pixels = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    assert analyzer.analyze(memory_evidence(pixels)).face_maps["face"].max() > 0.5
    assert len(made) == before  # the first face makes no runner
    off = Analyzer([whole], device="cpu", face_models=[face])  # no detector: no face path
    made.clear()
    off.prepare()
    assert not any(m is face.model for m in made)


def test_scope_is_read_back_and_checked(tmp_path: Path) -> None:
    path = _save_face_checkpoint(tmp_path / "face.safetensors")
    assert load_checkpoint(path).meta.scope == "faces"
    assert load_checkpoint(make_tiny_checkpoint(tmp_path / "w.safetensors")).meta.scope == "image"
    meta = CheckpointMeta.from_json(load_checkpoint(path).meta.to_json())
    with pytest.raises(CheckpointError, match="scope must be one of"):
        check_meta(dataclasses.replace(meta, scope="hands"))


def test_a_face_model_runs_on_faces_only(tmp_path: Path) -> None:
    whole = load_checkpoint(make_tiny_checkpoint(tmp_path / "whole.safetensors", name="whole"))
    face = _face_model(tmp_path / "face.safetensors")
    analyzer = Analyzer(
        [whole], device="cpu", faces=FakeDetector((100, 60, 80, 80)), face_models=[face]
    )
    assert analyzer.names == ["whole"]
    pixels = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    analysis = analyzer.analyze(memory_evidence(pixels))
    assert list(analysis.results) == ["whole"]  # no whole-image result for the face model
    assert set(analysis.faces[0].face_scores) == {"whole", "face"}
    assert analysis.face_maps["face"].max() > 0.5  # the marker's centre, pasted back
    assert analysis.face_maps["face"][:, :76].max() == 0  # nothing left of the crop (x0 76)


def test_scopes_cannot_be_swapped(tmp_path: Path) -> None:
    whole = load_checkpoint(make_tiny_checkpoint(tmp_path / "whole.safetensors", name="whole"))
    face = _face_model(tmp_path / "face.safetensors")
    with pytest.raises(ValueError, match="is a face model"):
        Analyzer([face], device="cpu")
    with pytest.raises(ValueError, match="is not a face model"):
        Analyzer([whole], device="cpu", face_models=[whole])


def test_assembly_puts_face_checkpoints_on_the_face_path(tmp_path: Path) -> None:
    whole = make_tiny_checkpoint(tmp_path / "whole.safetensors", name="whole")
    face = _save_face_checkpoint(tmp_path / "face.safetensors")
    analyzer = assemble_analyzer([str(whole), str(face)], device="cpu", faces=FakeDetector())
    assert analyzer.names == ["whole"]
    assert [m.name for m in analyzer.face_models] == ["face"]
    with pytest.raises(CheckpointError, match="a face model runs on the faces"):
        assemble_analyzer([str(face)], device="cpu", faces=FakeDetector())


def test_rescale_moves_the_decision_point() -> None:
    assert rescale(0.0, 0.3, 0.6) == 0.0 and rescale(1.0, 0.3, 0.6) == pytest.approx(1.0)
    assert rescale(0.3, 0.3, 0.6) == pytest.approx(0.6)
    assert rescale(0.31, 0.3, 0.6) > 0.6 > rescale(0.29, 0.3, 0.6)
    # a hair over the source's decision point stays over the destination's (float32 lost it)
    theta_face, theta = 0.9828671596274687, 0.5985638695345132
    assert rescale(theta_face + 1e-9, theta_face, theta) > theta
    assert rescale(np.nextafter(theta_face, 1.0), theta_face, theta) > theta
    assert rescale(theta_face, theta_face, theta) <= theta
    grid = rescale_map(np.linspace(0, 1, 11, dtype=np.float32), 0.2, 0.5)
    assert (np.diff(grid) > 0).all()  # order kept


def _result(verdict: str = AUTHENTIC, score: float = 0.2) -> ModelResult:
    heat = np.zeros((40, 50), np.float32)
    return ModelResult(
        name="ens", architecture="ensemble", checkpoint="", checkpoint_sha256="", rule="ensemble",
        score=score, verdict=verdict, forged_fraction=0.0, threshold=0.5, pixel_threshold=0.5,
        threshold_provenance="stacking", input_policy={}, device="cpu", precision="fp32",
        seconds=0.0, heatmap=heat, mask=heat > 0.5, probability=0.2,
    )  # fmt: skip


def _ensemble(rule: str) -> Ensemble:
    return Ensemble(name="ens", members=[Member("whole")], face_rule=rule)


def test_a_flagged_face_flags_the_image_under_the_face_rule(tmp_path: Path) -> None:
    face = _face_model(tmp_path / "face.safetensors")  # θ 0.1, pixel threshold 0.5
    flagged = FaceRegion((10, 10, 20, 20), 0.99)
    flagged.face_scores["face"] = FaceScore(score=0.4, verdict=MANIPULATED, probability=0.9)
    fmap = np.zeros((40, 50), np.float32)
    fmap[15:25, 15:25] = 0.8
    out = _ensemble("any").with_faces(_result(), [flagged], {"face": face}, {"face": fmap})
    assert out.verdict == MANIPULATED
    assert out.score > out.threshold  # 0.4 is above the face model's θ 0.1: above 0.5 here
    assert out.probability == 0.9
    assert out.mask[15:25, 15:25].all() and out.mask.sum() == 100
    assert out.forged_fraction == pytest.approx(100 / 2000)
    assert "face rule 'any'" in out.threshold_provenance


def test_a_verdict_the_face_rule_alone_makes_draws_the_flagged_faces_alone(
    tmp_path: Path,
) -> None:
    """When the stacked verdict is authentic and a face flags the image, the heatmap is the
    face model's map inside the flagged faces' crops, 0 elsewhere: the members' marks away from
    the face (which did not reach the verdict) and the map of a face judged authentic are not
    drawn. When the stacked verdict flags the image too, the members' heatmap stays, the face
    map merged into it."""
    face = _face_model(tmp_path / "face.safetensors")  # θ 0.1, pixel threshold 0.5
    flagged = FaceRegion((4, 4, 8, 8), 0.99)  # its crop (30 % margin): rows and columns 2-14
    flagged.face_scores["face"] = FaceScore(score=0.4, verdict=MANIPULATED)
    real = FaceRegion((30, 20, 8, 8), 0.99)  # crop rows 18-30, columns 28-40
    real.face_scores["face"] = FaceScore(score=0.05, verdict=AUTHENTIC)
    fmap = np.zeros((40, 50), np.float32)
    fmap[5:12, 5:12] = 0.8  # the flagged face
    fmap[21:28, 31:38] = 0.9  # the face judged authentic: its map is high all the same
    members_marked = _result()
    members_marked.heatmap[30:40, 0:10] = 0.9  # a member's mark far from any face
    alone = _ensemble("any").with_faces(
        members_marked, [flagged, real], {"face": face}, {"face": fmap}
    )
    assert alone.verdict == MANIPULATED
    assert alone.mask[5:12, 5:12].all() and alone.mask.sum() == 49
    assert alone.heatmap[30:40, 0:10].max() == 0 and alone.heatmap[21:28, 31:38].max() == 0
    assert "face map alone" in alone.threshold_provenance
    # the report's own rule: never "authentic" (walk-through H read it on pg-062's θ row)
    assert alone.threshold_provenance.endswith("(the stacked verdict is not flagged)")
    assert "authentic" not in alone.threshold_provenance
    both = _ensemble("any").with_faces(
        dataclasses.replace(members_marked, verdict=MANIPULATED, score=0.8),
        [flagged, real],
        {"face": face},
        {"face": fmap},
    )
    assert both.mask[30:40, 0:10].all() and both.mask[5:12, 5:12].all()
    assert both.mask[21:28, 31:38].all()  # the whole face map merged, as before
    assert "face map alone" not in both.threshold_provenance


def test_without_a_flagged_face_or_a_rule_nothing_changes(tmp_path: Path) -> None:
    face = _face_model(tmp_path / "face.safetensors")
    real = FaceRegion((10, 10, 20, 20), 0.99)
    real.face_scores["face"] = FaceScore(score=0.05, verdict=AUTHENTIC)
    other = FaceRegion((10, 10, 20, 20), 0.99)
    other.face_scores["whole"] = FaceScore(score=0.9, verdict=MANIPULATED)  # not a face model
    before = _result()
    assert _ensemble("any").with_faces(before, [real, other], {"face": face}, {}) is before
    flagged = FaceRegion((10, 10, 20, 20), 0.99)
    flagged.face_scores["face"] = FaceScore(score=0.9, verdict=MANIPULATED)
    assert _ensemble("").with_faces(before, [flagged], {"face": face}, {}) is before
    with pytest.raises(ValueError, match="face_rule must be one of"):
        _ensemble("all")


def test_a_scan_records_the_face_model(tmp_path: Path) -> None:
    """scan.json names the face model's checkpoint; results.csv has its face-score column and
    no whole-image columns for it; the row's face carries its face score."""
    import csv
    import json

    from forensic_viewer.scan.run import run_scan
    from tests.conftest import write_rgb

    (tmp_path / "ev").mkdir()
    ev = write_rgb(tmp_path / "ev" / "a.png", 120, 160)
    whole = make_tiny_checkpoint(tmp_path / "whole.safetensors", name="whole")
    face = _save_face_checkpoint(tmp_path / "face.safetensors")
    analyzer = assemble_analyzer(
        [str(whole), str(face)], device="cpu", faces=FakeDetector((40, 30, 50, 50))
    )
    out = tmp_path / "out"
    summary = run_scan([(ev, "a.png")], analyzer, out, source=str(ev.parent), thumbnails=False)
    assert summary.done == 1
    settings = json.loads((out / "scan.json").read_text("utf-8"))
    assert set(settings["models"]) == {"whole"} and set(settings["face_models"]) == {"face"}
    ran = settings["face_model_figures"]["face"]  # a report's models section shows where it ran
    assert (ran["device"], ran["precision"]) == ("cpu", "fp32")
    with (out / "results.csv").open(encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert "faces.face.score_max" in header and "faces.whole.score_max" in header
    assert not any(c.startswith("face.") for c in header)
    row = json.loads((out / "results.jsonl").read_text("utf-8").splitlines()[0])
    assert set(row["faces"][0]["face_scores"]) == {"whole", "face"}


def test_face_model_map_is_the_face_models_own_finding(tmp_path: Path) -> None:
    from engine.assembly import face_model_map

    face = _face_model(tmp_path / "face.safetensors")
    pixels = np.random.default_rng(1).integers(0, 256, (200, 240, 3), dtype=np.uint8)
    heat, mask = face_model_map(
        face, memory_evidence(pixels), "cpu", FakeDetector((80, 60, 60, 60))
    )
    assert heat.shape == mask.shape == (200, 240)
    ys, xs = np.nonzero(mask)
    assert xs.size and abs(xs.mean() - 110) <= 1 and abs(ys.mean() - 90) <= 1  # the face's centre
    none, nothing = face_model_map(face, memory_evidence(pixels), "cpu", FakeDetector())
    assert not none.any() and not nothing.any()  # no face: no finding


def test_the_measured_reliability_says_it_was_counted_without_the_face_rule(
    tmp_path: Path,
) -> None:
    """The default verdict's reliability counts come from the stacked rule alone; with the face
    rule on, every file's sentence says so (flagged by a face or not), never passing them off
    as the false-alarm rate of the verdict it stands beside."""
    from engine.ensemble_provenance import FACE_RULE_CAVEAT

    face = _face_model(tmp_path / "face.safetensors")
    measured = "at this threshold (test part): 10 % of authentic camera photographs (3 of 30)"
    before = dataclasses.replace(_result(), reliability=measured)
    real = FaceRegion((10, 10, 20, 20), 0.99)
    real.face_scores["face"] = FaceScore(score=0.05, verdict=AUTHENTIC)
    out = _ensemble("any").with_faces(before, [real], {"face": face}, {})
    assert out.verdict == AUTHENTIC and out.reliability == measured + FACE_RULE_CAVEAT
    assert "These counts were taken without the face rule" in out.reliability
    assert _ensemble("").with_faces(before, [real], {"face": face}, {}).reliability == measured


def test_a_verdict_the_face_rule_decides_on_faces_outside_the_measured_range_says_so(
    tmp_path: Path,
) -> None:
    """A face smaller than the face verdicts were measured on (22 x 28 px: walk-through,
    tiny swap) or whose crop the image's border cut, flagging the image alone, leaves the
    verdict manipulated but outside the measured range (its ``out_of_range`` names the face
    and why), as a member's small image does; a flagged face in range, or a stacked verdict
    that flags the image by itself, leaves it as it was."""
    face = _face_model(tmp_path / "face.safetensors")
    size = (400, 300)  # width, height

    def flagged(box: tuple[int, int, int, int]) -> FaceRegion:
        f = FaceRegion(box, 0.99)
        f.face_scores["face"] = FaceScore(score=0.4, verdict=MANIPULATED)
        return f

    real = FaceRegion((200, 100, 60, 60), 0.99)
    real.face_scores["face"] = FaceScore(score=0.05, verdict=AUTHENTIC)
    tiny, cut, fine = (
        flagged((50, 60, 22, 28)),
        flagged((0, 100, 60, 70)),
        flagged((150, 80, 60, 70)),
    )
    ens = _ensemble("any")
    out = ens.with_faces(_result(), [real, tiny], {"face": face}, {}, image_size=size)
    assert out.verdict == MANIPULATED
    assert out.out_of_range == {"faces": [{"face": 2, "short_side": 22, "min_side": 48}]}
    out = ens.with_faces(_result(), [cut], {"face": face}, {}, image_size=size)
    assert out.out_of_range == {"faces": [{"face": 1, "cut_by_border": True}]}
    members = {"short_side": 150, "min_side": 192, "members": ["whole"]}
    small = dataclasses.replace(_result(), out_of_range=members)
    out = ens.with_faces(small, [tiny], {"face": face}, {}, image_size=size)
    assert out.out_of_range == {**members, "faces": [{"face": 1, "short_side": 22, "min_side": 48}]}
    assert (
        ens.with_faces(_result(), [fine], {"face": face}, {}, image_size=size).out_of_range is None
    )
    both = ens.with_faces(_result(), [tiny, fine], {"face": face}, {}, image_size=size)
    assert both.verdict == MANIPULATED and both.out_of_range is None  # one measured face
    stacked = dataclasses.replace(_result(), verdict=MANIPULATED, score=0.8)
    assert ens.with_faces(stacked, [tiny], {"face": face}, {}, image_size=size).out_of_range is None
