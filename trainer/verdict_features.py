"""Image-level features of the default analysis, for choosing and calibrating the verdict rule.

    forensic-train features --casia DIR --photos DIR --out FEATURES.jsonl [--parts val,test]

Runs the default model set (fast path, as the viewer and scans do) and the classic analyses on
every image of the chosen parts and writes one JSON line per image: for each network the
candidate image scores (largest window logit, top-k means, whole-image pass at the training
scale, heatmap quantiles, forged fractions), for the ensemble its score and heatmap figures, for
the classic analyses their scores and map figures, and the pixel F1 of each heatmap against the
mask where there is one. CASIA images also get their heatmaps saved (``.npz`` beside the file,
8-bit) so that localization fusion can be studied offline. The run resumes: images already in
the file are skipped.

Nothing here decides: :mod:`trainer.verdict` reads these rows, chooses on the validation part
and reports on the test part (see docs/VERDICTS.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.errors import ForensicError
from engine.files import AtomicFile, not_regular_reason, read_regular_text
from engine.formatting import plain
from engine.io import is_image_name
from engine.metrics import f1_iou
from trainer.check import add_as_given_arg
from trainer.data.records import Sample, faint_reason, read_dataset, refuse_implausible_masks
from trainer.data.splits import three_way_split
from trainer.errors import DataError, UsageError

if TYPE_CHECKING:  # torch and the networks load when features are made, not for --help
    from engine.pipeline import Analyzer
    from engine.types import Evidence

CLASSIC = ("clone", "jpeg-dq", "jpeg-ghost", "noise", "ela")
QUANTILES = (0.5, 0.9, 0.99, 0.999)


def logit_figures(windows: NDArray[np.float32]) -> dict[str, float]:
    """Candidate aggregations of per-window image logits."""
    w = np.sort(windows.astype(np.float64))[::-1]
    out = {
        "n": int(w.size),
        "max": float(w[0]),
        "mean": float(w.mean()),
        "median": float(np.median(w)),
    }
    for k in (2, 4, 8):
        out[f"top{k}"] = float(w[: min(k, w.size)].mean())
    out["top10pct"] = float(w[: max(1, int(np.ceil(0.1 * w.size)))].mean())
    return out


def heat_figures(heat: NDArray[np.float32], pixel_threshold: float) -> dict[str, float]:
    h = heat.astype(np.float32).ravel()
    out = {f"q{q:g}": float(np.quantile(h, q)) for q in QUANTILES}
    out["mean"] = float(h.mean())
    out["ff"] = float((h > pixel_threshold).mean())
    for t in (0.5, 0.7, 0.9):
        out[f"ff{t:g}"] = float((h > t).mean())
    return out


def pixel_f1(pred: NDArray[np.bool_], truth: NDArray[np.bool_]) -> float:
    """Pixel F1 of ``pred`` against ``truth`` (:func:`engine.metrics.f1_iou`); 1.0 when both
    are empty: a clean image left clean counts as a perfect answer here."""
    return f1_iou(pred, truth, both_empty=1.0)[0]


def whole_image_logit(analyzer: Analyzer, name: str, rgb: NDArray[np.uint8]) -> float | None:
    """The image logit of one pass on the image resized to fit the model's window."""
    loaded = next(m for m in analyzer.models if m.name == name)
    window = loaded.meta.input_policy.window
    h, w = rgb.shape[:2]
    s = window / max(h, w)
    small = np.asarray(
        Image.fromarray(rgb).resize(
            (max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BILINEAR
        )
    )
    _, logit = analyzer.heatmap(loaded, small)
    return logit


def features(
    analyzer: Analyzer,
    path: Path,
    mask_path: Path | None,
    label: int,
    part: str,
    maps_dir: Path | None,
    classic: tuple[str, ...] = CLASSIC,
) -> dict[str, Any]:
    from engine.io import load_evidence

    t0 = time.perf_counter()
    ev = load_evidence(path)
    # read first: a mask refused (read_truth) skips the image before its analysis
    truth = None if mask_path is None else read_truth(mask_path, ev, label == 1)
    analysis = analyzer.analyze(ev)
    row: dict[str, Any] = {
        "path": str(path),
        "sha256": ev.sha256,
        "part": part,
        "label": label,
        "mask": None if mask_path is None else str(mask_path),  # read again by refresh
        "kind": kind_of(path.name, label),
        "height": ev.height,
        "width": ev.width,
        "models": {},
    }
    saved: dict[str, NDArray[np.uint8]] = {}
    results = dict(analysis.results)
    if analysis.ensemble is not None:
        results[analysis.ensemble.name] = analysis.ensemble
    for name, r in results.items():
        assert r.heatmap is not None
        f: dict[str, Any] = {
            "seconds": r.seconds,
            "score": r.score,
            "verdict": r.verdict,
            "rule": r.rule,
            "image_logit": r.image_logit,
            "heat": heat_figures(r.heatmap, r.pixel_threshold),
        }
        if name in analyzer.window_logits and r.rule != "ensemble":
            f["windows"] = logit_figures(analyzer.window_logits[name])  # of the detection view
            f["whole"] = whole_image_logit(analyzer, name, ev.pixels)
        loaded = next((m for m in analyzer.models if m.name == name), None)
        if loaded is not None:  # the setting the rows were made with (trainer.verdict reads it)
            f["detect_side"] = analyzer.detect_side_of(loaded)
        if truth is not None:
            f["pixel_f1"] = pixel_f1(r.mask if r.mask is not None else r.heatmap > 0.5, truth)
        row["models"][name] = f
        saved[name] = np.round(r.heatmap * 255).astype(np.uint8)
    row["classic"] = {}
    for name in classic:
        row["classic"][name] = classic_entry(name, ev, truth, saved)
    if maps_dir is not None and max(ev.height, ev.width) <= 1024:
        if truth is not None:
            saved["truth"] = truth.astype(np.uint8) * 255
        np.savez_compressed(maps_dir / f"{ev.sha256[:16]}.npz", **saved)
    row["seconds"] = time.perf_counter() - t0
    return row


def read_truth(mask_path: Path, ev: Evidence, tampered: bool = True) -> NDArray[np.bool_] | None:
    """The true mask of ``ev`` by :func:`engine.masks.read_mask` (the one rule: a channel above
    127, transparency; a pipe refused at once); None when it is of another size than the image
    (no pixel figure then). A ``tampered`` image's mask that is not black but marks no pixel (a
    faint mask, 0 and 100) is a :class:`DataError`, as ``fit`` refuses it
    (:func:`trainer.data.records.load_mask`): read as empty, it gave the row's pixel F1 against
    nothing (``features`` skips the image saying so; ``--reuse`` stops, writing nothing)."""
    from engine.masks import read_mask

    read = read_mask(mask_path)
    if read.faint and tampered:
        raise DataError(mask_path, faint_reason(read.faint))
    m = read.mask
    return m if m.shape == ev.pixels.shape[:2] else None


def _mask_of(row: dict[str, Any], found: dict[Path, dict[Path, Path | None]]) -> Path | None:
    """The mask file of a features row: the one it names, or for a row written before rows
    named it, its image's mask in the ``Tp/`` + ``Gt/`` data set it lies in (``found``: the data
    sets read so far). None for an authentic image; ValueError when a tampered image's mask
    cannot be found."""
    if "mask" in row:
        return None if row["mask"] is None else Path(row["mask"])
    if row["label"] == 0:
        return None
    image = Path(row["path"]).resolve()
    root = image.parent.parent
    if root not in found:
        try:
            found[root] = {s.image.resolve(): s.mask for s in read_dataset(root, [])}
        except ForensicError:
            found[root] = {}
    mask = found[root].get(image)
    if mask is None:
        raise ValueError(
            f"{row['path']}: its features row names no mask and none is found in a Gt/ folder "
            "beside it: make the row again with `forensic-train features`"
        )
    return mask


def classic_entry(
    name: str,
    ev: Evidence,
    truth: NDArray[np.bool_] | None,
    saved: dict[str, NDArray[np.uint8]],
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One classic analysis's figures on ``ev`` (its 8-bit map put into ``saved``)."""
    from engine.analyses import run_analysis

    try:
        a = run_analysis(name, ev, params=params)
    except (ForensicError, ValueError) as e:
        return {"error": str(e)}
    c: dict[str, Any] = {"score": a.output.score, "seconds": a.seconds}
    if a.output.map is not None:
        c["map"] = heat_figures(a.output.map, 0.5)
        saved[name] = np.round(a.output.map * 255).astype(np.uint8)
        if truth is not None:
            c["pixel_f1"] = pixel_f1(a.output.map > 0.5, truth)
    c["pairs"] = len(a.output.pairs)
    return c


def refresh(
    reuse: Path,
    out: Path,
    only: list[str],
    parts: set[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    as_given: bool = False,
    given: list[str] | None = None,
) -> Iterator[tuple[dict[str, Any], float]]:
    """Re-run only the classic analyses ``only`` on the rows of an earlier features file.

    Network figures are copied from ``reuse`` (re-running the networks costs about an hour
    on this machine; a classic analysis over the same images takes minutes), the named
    analyses' entries are replaced, and their maps are written into copies of ``reuse``'s
    ``.maps`` files under ``out``'s. The ground truth is read again from the mask file
    (:func:`read_truth`, the one rule of masks; a row of an older file, which names none, by
    its image's ``Gt/`` mask), and the copies' stored truth maps replaced by it. Rows of other
    parts (``parts``: ``casia-val``, ``camera-test``, ..., or ``val`` / ``test`` for both
    halves; None: every row) are copied unchanged. ``params`` (per analysis, as ``--params``) tries
    other settings than the defaults, for tuning on the validation part. Each file's SHA-256 must still be the row's:
    the refreshed figures describe the same evidence. Yields each row and its seconds.

    The masks re-read are refused as ``features`` refuses them, before anything is written
    (:func:`reused_masks_given`: per data set, masks that look inverted or none of which marks
    a pixel); ``as_given`` (``--masks-as-given``) lets inverted-looking ones through, and their
    lines are appended to ``given`` for the command to record.
    """
    from engine.io import load_evidence

    unknown = sorted(set(only) - set(CLASSIC))
    if unknown:
        raise ValueError(f"--only: unknown analyses {unknown}; choose from {', '.join(CLASSIC)}")
    if reuse.resolve() == out.resolve():
        raise ValueError(f"{out}: --out must differ from --reuse (the old file is kept)")
    rows = [json.loads(ln) for ln in _read_text(reuse, "features file").splitlines() if ln.strip()]
    found: dict[Path, dict[Path, Path | None]] = {}
    chosen = [
        parts is None or r["part"] in parts or r["part"].split("-")[-1] in parts for r in rows
    ]
    masks = [_mask_of(r, found) if c else None for r, c in zip(rows, chosen, strict=True)]
    lines = reused_masks_given(rows, masks, as_given)
    if given is not None:
        given += lines
    old_maps, new_maps = reuse.with_suffix(".maps"), out.with_suffix(".maps")
    new_maps.mkdir(parents=True, exist_ok=True)
    with AtomicFile(out, "w", encoding="utf-8") as af:
        assert af.file is not None
        for row, refreshed, mask in zip(rows, chosen, masks, strict=True):
            t0 = time.perf_counter()
            if refreshed:
                ev = load_evidence(Path(row["path"]))
                if ev.sha256 != row["sha256"]:
                    raise ValueError(f"{row['path']}: SHA-256 differs from the one in {reuse}")
                npz = f"{ev.sha256[:16]}.npz"
                saved: dict[str, NDArray[np.uint8]] = {}
                if (old_maps / npz).is_file():
                    with np.load(old_maps / npz) as z:
                        saved = {k: z[k] for k in z.files}
                truth = None if mask is None else read_truth(mask, ev, row["label"] == 1)
                saved.pop("truth", None)
                if truth is not None:
                    saved["truth"] = truth.astype(np.uint8) * 255
                for name in only:
                    saved.pop(name, None)
                    row["classic"][name] = classic_entry(
                        name, ev, truth, saved, (params or {}).get(name)
                    )
                if (old_maps / npz).is_file():
                    np.savez_compressed(new_maps / npz, **saved)
            af.file.write(json.dumps(row) + "\n")
            yield row, time.perf_counter() - t0


def reused_masks_given(
    rows: list[dict[str, Any]], masks: list[Path | None], as_given: bool
) -> list[str]:
    """The masks ``masks`` of the features rows ``rows`` (None: not re-read, or authentic) by
    the inverted-mask rule, as ``features`` applies it to the masks its rows were measured
    against (:func:`trainer.data.records.refuse_implausible_masks`): a :class:`DataError`
    for the first data set (the folder of its ``Gt/``: a row names no data set) whose masks
    look inverted or none of which marks a pixel; with ``as_given`` the lines of the sets
    whose inverted-looking masks are used as given."""
    samples = [
        Sample(Path(r["path"]), m, int(r["label"]), str(m.parent.parent))
        for r, m in zip(rows, masks, strict=True)
        if m is not None
    ]
    return refuse_implausible_masks(samples, as_given=as_given)


def _read_text(path: Path, what: str) -> str:
    """The text of ``path`` read through :func:`engine.files.read_regular_text` (a named pipe or
    a device is refused at once, never waited on); a :class:`UsageError` naming it otherwise."""
    try:
        return read_regular_text(path)
    except (OSError, UnicodeDecodeError) as e:
        reason = (isinstance(e, OSError) and not_regular_reason(e)) or str(e)
        raise UsageError(path, f"{what} cannot be read: {reason}") from e


def kind_of(name: str, label: int) -> str:
    if label == 0:
        return "authentic"
    if name.startswith("sy_"):  # trainer.data.synth's forgeries: sy_NNNNN_<kind>.png
        kind = Path(name).stem.rsplit("_", 1)[-1]
        return "copy-move" if kind == "copymove" else kind
    if name.startswith(("Sp_S_", "Tp_S_")):
        return "copy-move"
    if name.startswith(("Sp_D_", "Tp_D_")):
        return "splice"
    return "tampered"


SOURCES = ("casia", "camera", "forgeries")
# In a folder of forgeries of one camera half (forensic-train synth --camera-half): the half
# and the photographs behind the forgeries.
HALF_FILE = "photos.json"


def forgeries_part(folder: Path) -> str:
    """``forgeries-val`` or ``forgeries-test``: the camera half every photograph behind the
    forgeries in ``folder`` comes from, as its ``photos.json`` lists them (``forensic-train
    synth --camera-half`` writes it), each name checked against :func:`photo_part`. A
    folder mixing the halves, or saying another half than its photographs', is refused: its
    forgeries would carry validation photographs into the test part or the other way round."""
    text = _read_text(folder / HALF_FILE, "photos.json (the half and its photographs)")
    try:
        listed = json.loads(text)
        half, names = str(listed["half"]), [str(n) for n in listed["photos"]]
    except (ValueError, KeyError, TypeError) as e:
        raise UsageError(
            folder, f"no readable photos.json with its half and photographs ({e})"
        ) from e
    halves = {photo_part(n) for n in names}
    if halves != {f"camera-{half}"}:
        raise UsageError(
            folder,
            f"photos.json says half {half!r} but its photographs are in {sorted(halves)}",
        )
    return f"forgeries-{half}"


def work_list(
    casia: Path | None,
    photos: Path | None,
    parts: list[str],
    forgeries: list[Path] | None = None,
) -> list[tuple[Sample, str]]:
    """The images of ``parts``: ``train``, ``val``, ``test`` name CASIA's part and the camera
    photographs' half of that name (there is no camera training half), and the ``forgeries``
    folders made from that half; ``casia-val``, ``camera-test``, ``forgeries-val``, ... name
    one of them alone."""
    wanted = {f"{source}-{p}" for p in parts for source in SOURCES} | set(parts)
    known = {f"{s}-{p}" for s in SOURCES for p in ("train", "val", "test")}
    unknown = [p for p in parts if p not in known | {"train", "val", "test"}]
    if unknown:
        raise UsageError(None, f"--parts: no part named {', '.join(unknown)} (train, val, test)")
    out: list[tuple[Sample, str]] = []
    if casia is not None:
        train, val, test = three_way_split(read_dataset(casia))
        for name, samples in (("train", train), ("val", val), ("test", test)):
            if f"casia-{name}" in wanted:
                out += [(s, f"casia-{name}") for s in samples]
    if photos is not None:
        for p in sorted(photos.iterdir()):
            part = photo_part(p.name)
            if is_image_name(p) and part in wanted:
                out.append((Sample(p, None, 0, "camera-photos"), part))
    for folder in forgeries or []:
        part = forgeries_part(folder)
        if part in wanted:
            out += [(s, part) for s in read_dataset(folder)]
    return out


def photo_part(name: str) -> str:
    """Camera photographs in two fixed halves by a hash of the file name (the camera model):
    ``camera-val`` calibrates, ``camera-test`` only reports."""
    import hashlib

    h = int(hashlib.sha256(f"camera/{name}".encode()).hexdigest()[:8], 16)
    return "camera-val" if h % 2 == 0 else "camera-test"


class _LeftOut:
    """The registered analyses ``--classic`` leaves out by default, named when ``--help`` is
    shown: argparse fills a help's ``%(name)s`` from its action's attributes, with ``str``.
    Listing them imports every analysis (about 0.5 s), which building the parser, as every
    ``forensic-train`` command does, should not pay."""

    def __str__(self) -> str:
        from engine.analyses import list_analyses

        return " or ".join(sorted(set(list_analyses()) - set(CLASSIC)))


def add_parser(sub: Any) -> None:
    p = sub.add_parser("features", help="image-level features for `forensic-train verdict`")
    p.add_argument("--casia", type=Path, help="a Tp/Gt/Au data set split three ways")
    p.add_argument("--photos", type=Path, help="a folder of authentic camera photographs")
    p.add_argument(
        "--forgeries",
        type=Path,
        nargs="+",
        help="Tp/Gt/Au folders of forgeries of one camera half (forensic-train synth "
        "--camera-half): parts forgeries-val / forgeries-test",
    )
    classic = p.add_argument(
        "--classic",
        default=",".join(CLASSIC),
        help=f"the classic analyses to run, comma-separated (default: {','.join(CLASSIC)}, "
        "not %(left_out)s; the verdict step needs clone)",
    )
    classic.left_out = _LeftOut()  # the help's %(left_out)s
    p.add_argument(
        "--parts",
        default="val,test",
        help="which parts: train, val, test (CASIA's, and the camera photographs' half of that "
        "name), or one source's alone: casia-val, camera-test, ...; with --reuse also all "
        "(default: val,test)",
    )
    p.add_argument("--out", type=Path, required=True, help="the JSON-lines file (resumed)")
    p.add_argument("--shard", default="0/1", help="K/N: this process takes every N-th image")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument(
        "--reuse",
        type=Path,
        help="an earlier features file: copy its rows, re-run only the --only analyses",
    )
    p.add_argument("--only", help="with --reuse: classic analyses to re-run, e.g. clone")
    p.add_argument(
        "--detect-side",
        type=int,
        default=None,
        help="the logit rule's image logit from the image reduced to this long side (0: full "
        "resolution); default: each checkpoint's own (engine.checkpoints.DecisionRule)",
    )
    p.add_argument(
        "--params",
        type=json.loads,
        default=None,
        help='with --reuse: JSON settings per analysis, e.g. \'{"clone": {"max_scale": 3}}\'',
    )
    add_as_given_arg(p)


def run(args: argparse.Namespace) -> int:
    if args.reuse is not None or args.only is not None:
        from trainer.errors import UsageError

        if args.reuse is None or not args.only:
            raise UsageError(None, "--reuse and --only go together")
        if not args.reuse.is_file():
            raise UsageError(args.reuse, "no such features file")
        parts = None if args.parts == "all" else set(args.parts.split(","))  # refresh's doc
        given: list[str] = []  # the masks used as given (--masks-as-given), said at the end
        try:
            for i, (row, seconds) in enumerate(
                refresh(
                    args.reuse,
                    args.out,
                    args.only.split(","),
                    parts,
                    args.params,
                    args.masks_as_given,
                    given,
                )
            ):
                print(f"{i + 1} {plain(Path(row['path']).name)} {seconds:.1f}s", flush=True)
        except ValueError as e:
            raise UsageError(None, str(e)) from e
        for line in given:
            print(plain(f"warning: {line}"), file=sys.stderr, flush=True)
        return 0
    from engine.assembly import assemble_analyzer
    from trainer.setup import set_threads

    set_threads(args.threads)
    k, n = (int(x) for x in args.shard.split("/"))
    done: set[str] = set()
    if args.out.exists():
        for line in _read_text(args.out, "features file to resume").splitlines():
            if line.strip():
                done.add(json.loads(line)["path"])
    classic = tuple(c for c in args.classic.split(",") if c)
    if set(classic) - set(CLASSIC):
        raise UsageError(None, f"--classic: choose from {', '.join(CLASSIC)}")
    items = work_list(args.casia, args.photos, args.parts.split(","), args.forgeries)
    # the pixel F1 of every row is measured against the masks: refused as fit refuses them,
    # on every shard's images alike (before the shard is taken)
    given = refuse_implausible_masks([s for s, _ in items], as_given=args.masks_as_given)
    for line in given:
        print(plain(f"warning: {line}"), file=sys.stderr, flush=True)
    items = items[k::n]
    maps_dir = args.out.with_suffix(".maps")
    maps_dir.mkdir(parents=True, exist_ok=True)
    analyzer = assemble_analyzer(None, device="cpu", faces=False)
    analyzer.detect_side = args.detect_side
    analyzer.prepare()
    with args.out.open("a", encoding="utf-8") as fh:
        for i, (s, part) in enumerate(items):
            if str(s.image) in done:
                continue
            try:
                row = features(analyzer, s.image, s.mask, s.label, part, maps_dir, classic)
            except ForensicError as e:
                print(plain(f"skip {s.image}: {e}"), file=sys.stderr)
                continue
            fh.write(json.dumps(row) + "\n")
            fh.flush()
            print(f"{i + 1}/{len(items)} {plain(s.image.name)} {row['seconds']:.1f}s", flush=True)
    return 0
