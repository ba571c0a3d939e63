"""``forensic-viewer selftest``: is this installation whole and does it find what it should?

Checks, each printed as one line (``ok`` / ``FAIL`` and why), exit status 0 only when all pass:

1. Versions: the app, Python, torch, Qt (package metadata, no Qt import), OpenCV, and the device
   inference would use; the HEIF decoder's libraries load (pi-heif's libheif and libde265, which
   a frozen build must carry beside its extension: ``engine.heif``).
2. Every bundled checkpoint's SHA-256 equals the one its model card states: a damaged or swapped
   file is caught before it decides anything. The int8 OpenVINO model beside one (``NAME.int8.*``,
   run by the fast path in its place) was made from it and its files hash to the SHA-256 its
   ``.json`` records. Every bundled ensemble names bundled members.
3. A headless analysis of the bundled sample each card names in its regression floor, by that
   model (and the default ensemble), reaches the card's pixel-F1 and pixel-AUC floors: the
   decoding, the tiling, the runtime and the decision still find what they found when the card
   was written. This is the same check as ``tests/engine/test_bundled_models.py``, so that an
   installed copy (a wheel, a frozen build) can run it without the test suite.

The analyses run on the device ``analyze`` takes by default (``--device auto``: CUDA when there
is one), so that a GPU machine checks the path its analyses take; until 2026-12-06 the default
was the CPU, and the self-test passed where CUDA's path was broken. The floors hold on either
path: each is 0.7 of the pixel F1 measured when its card was written, and 0.5 + 0.7 x (AUC -
0.5) for the AUC (``packaging/model_card.py``), and the two paths differ far less. On the CPU
crfd-net-compact runs its int8 OpenVINO model; CUDA runs the checkpoint in PyTorch at fp32 (TF32
off: :mod:`engine.devices`). That fp32 computation, run on the CPU (``FORENSIC_VIEWER_RUNTIME=
torch``, 2026-12-06), moved crfd-net-compact's figures on its sample by 0.013 in pixel F1 and
0.010 in AUC (floor margins 0.048 and 0.086) and the bundled ensemble's by 0.010 and 0.000; the
other models run fp32 on both devices and agreed to three decimals.

The resources folder can be any folder (``$FORENSIC_VIEWER_RESOURCES``), so its files (the
samples' list, the cards, the masks) are read through :func:`engine.files.open_regular`: one
that is a named pipe or a device fails its check with a line naming it, never a wait. A mask is
read by :func:`engine.masks.read_mask` (which opens it so too), the rule ``scan --gt`` and the
trainer read every ground truth by (a channel above 127, not OpenCV's grey).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from engine.files import not_regular_reason, read_regular_text
from engine.metrics import f1_iou, roc_auc
from forensic_viewer.environment import APP_PACKAGE, code_identity, code_text, package_version

if TYPE_CHECKING:
    from engine.masks import MaskFile

FLOOR = re.compile(r"regression-floor: (\S+) pixel-f1 ([0-9.]+) pixel-auc ([0-9.]+)")
CARD_SHA = re.compile(r"File SHA-256: `([0-9a-f]{64})`")


def version_lines() -> list[str]:
    """The versions ``forensic-viewer --version`` prints (nothing heavy imported)."""
    import sys

    return [
        f"{APP_PACKAGE} {package_version(APP_PACKAGE)} ({code_text(code_identity())})",
        f"Python {sys.version.split()[0]}",
        f"torch {package_version('torch')}",
        f"Qt (PySide6) {package_version('PySide6-Essentials')}",
        f"OpenCV {package_version('opencv-python-headless')}",
    ]


def heif_line() -> tuple[bool, str]:
    """Whether HEIF evidence can be decoded (pi-heif's extension and its libraries load), and
    the line that says so."""
    try:
        import pi_heif

        info = pi_heif.libheif_info()
        decoders = ", ".join(info.get("decoders", {})) or "none"
    except Exception as e:  # ImportError, or a library the extension cannot load (OSError)
        return False, f"HEIF decoder: pi-heif cannot be loaded ({type(e).__name__}: {e})"
    passed = "libde265" in decoders
    return passed, (
        f"HEIF decoder: pi-heif {package_version('pi-heif')}, libheif {info.get('libheif')}, "
        f"HEVC decoders: {decoders}"
    )


def int8_line(checkpoint: Path, sha256: str) -> tuple[bool, str] | None:
    """Whether the int8 model shipped beside ``checkpoint`` (``NAME.int8.*``; None: there is
    none) was made from it (its key names ``sha256``) and its ``.xml`` and ``.bin`` hash to the
    SHA-256 its ``.json`` records: the fast path runs those files in place of the checked
    checkpoint, so a changed one would otherwise go unseen here (it falls back to fp32)."""
    from engine.runtime import Int8FileError, IRFileError, checked_int8_files, int8_files, read_ir

    meta, xml = int8_files(checkpoint)
    if not meta.exists():
        return None
    try:
        record = json.loads(read_regular_text(meta))
        made_for = (record.get("key") or {}).get("checkpoint_sha256")
        checked_int8_files(xml, read_ir(xml))
    except (OSError, ValueError, AttributeError, IRFileError, Int8FileError) as e:
        return False, _unreadable(meta, e) if isinstance(e, (OSError, ValueError)) else str(e)
    if made_for != sha256:
        return False, f"{meta.name}: made for another checkpoint (SHA-256 {str(made_for)[:16]}…)"
    return True, f"{xml.stem}.xml and .bin: SHA-256 match {meta.name}, made from this checkpoint"


def pixel_auc(heat: NDArray[np.floating], truth: NDArray[np.bool_]) -> float:
    """ROC AUC of the heatmap's pixels against the mask (:func:`engine.metrics.roc_auc`: ties
    count half; NaN when the mask has one class only)."""
    return roc_auc(truth, heat)


def _f1(pred: NDArray[np.bool_], truth: NDArray[np.bool_]) -> float:
    return f1_iou(pred, truth, both_empty=1.0)[0]


def _unreadable(path: Path, e: OSError | ValueError) -> str:
    """The check line of a resource file that cannot be read: ``<file>: cannot be read: <why>``."""
    if isinstance(e, OSError):
        why = not_regular_reason(e) or e.strerror or str(e)
    elif isinstance(e, UnicodeDecodeError):
        why = "not UTF-8 text"
    else:  # JSON that does not parse
        why = str(e)
    return f"{path}: cannot be read: {why}"


def run_selftest(
    models: Path | None = None,
    samples: Path | None = None,
    say: Callable[[str], None] = print,
    device: str = "auto",
) -> bool:
    """Run every check (module docstring) on ``device`` and report each through ``say``; True
    when all pass. A device this machine lacks is a ValueError before any line is said."""
    from engine.assembly import face_model_map
    from engine.catalog import BUNDLED_MODELS, SAMPLES
    from engine.checkpoints import file_sha256, load_checkpoint
    from engine.devices import device_text, resolve_device
    from engine.ensemble import ENSEMBLE_SUFFIX, Ensemble
    from engine.errors import ForensicError
    from engine.io import load_evidence
    from engine.masks import check_mask_size, read_mask
    from engine.pipeline import Analyzer

    analyze_takes = device_text(resolve_device("auto"))
    device = analyze_takes if device == "auto" else device_text(resolve_device(device))
    models = models or BUNDLED_MODELS
    samples = samples or SAMPLES
    ok = True

    def check(passed: bool, line: str) -> None:
        nonlocal ok
        ok &= passed
        say(f"{'ok  ' if passed else 'FAIL'} {line}")

    for line in version_lines():
        say(f"     {line}")
    other = "" if device == analyze_takes else ", not the one analyze takes by default"
    say(f"     device: {analyze_takes} (analyze's default); the self-test runs on {device}{other}")
    check(*heif_line())
    listing = samples / "samples.json"
    try:
        manifest = json.loads(read_regular_text(listing))
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object of samples")
    except (OSError, ValueError) as e:
        check(False, _unreadable(listing, e))
        manifest = None  # that FAIL line stands for the floors it leaves unchecked

    def truth_of(sample: str) -> tuple[Path, MaskFile] | None:
        """The true mask of ``sample`` (its manifest entry), read before the model runs by the
        rule every ground truth is read by (:func:`engine.masks.read_mask`: a channel above
        127, transparency; read-only, regular files only): its path and the mask, or None with
        a FAIL line."""
        if manifest is None:
            return None
        entry = manifest.get(sample)
        if not isinstance(entry, dict) or "mask" not in entry:
            check(False, f"{sample}: {listing} names no mask for it")
            return None
        path = samples / entry["mask"]
        try:
            return path, read_mask(path)
        except ForensicError as e:
            check(False, str(e))
            return None

    def card_text(card_path: Path, missing: str | None) -> str | None:
        """The text of the model card ``card_path``, ``missing`` when there is none, or None
        with a FAIL line when it cannot be read."""
        try:
            return read_regular_text(card_path)
        except FileNotFoundError:
            return missing
        except (OSError, ValueError) as e:
            check(False, _unreadable(card_path, e))
            return None

    def floor_check(name: str, card: str, run: Callable[[Path], tuple[Any, Any]]) -> None:
        m = FLOOR.search(card)
        if m is None:
            check(False, f"{name}: its card states no regression floor")
            return
        sample, f1_floor, auc_floor = m.group(1), float(m.group(2)), float(m.group(3))
        read = truth_of(sample)
        if read is None:
            return
        heat, mask = run(samples / sample)
        mask_path, truth_file = read
        try:  # a mask of another size than the sample refused, as scan --gt refuses it
            check_mask_size(mask_path, truth_file.mask, heat.shape[:2])
        except ForensicError as e:
            check(False, str(e))
            return
        truth = truth_file.mask
        f1, auc = _f1(mask, truth), pixel_auc(heat, truth)
        check(
            f1 >= f1_floor and auc >= auc_floor,
            f"{name} on {sample}: pixel F1 {f1:.3f} (floor {f1_floor}), "
            f"pixel AUC {auc:.3f} (floor {auc_floor})",
        )

    checkpoints = sorted(models.glob("*.safetensors"))
    check(bool(checkpoints), f"{len(checkpoints)} bundled checkpoint(s) in {models}")
    for path in checkpoints:
        card = card_text(path.with_suffix(".md"), missing="")  # none: the SHA check fails
        if card is None:
            continue
        stated = CARD_SHA.search(card)
        try:
            sha = file_sha256(path)
        except OSError as e:
            check(False, _unreadable(path, e))
            continue
        if stated is None or stated.group(1) != sha:
            check(False, f"{path.name}: SHA-256 {sha[:16]}… is not the one its card states")
            continue
        check(True, f"{path.name}: SHA-256 matches its card")
        if (int8 := int8_line(path, sha)) is not None:
            check(*int8)
        try:
            loaded = load_checkpoint(path)
        except ForensicError as e:
            check(False, str(e))
            continue
        if loaded.meta.scope == "faces":  # a face model: its face map (engine.facepath)

            def one(sample: Path, loaded: Any = loaded) -> tuple:
                return face_model_map(loaded, load_evidence(sample), device)

        else:
            analyzer = Analyzer([loaded], device=device)

            def one(sample: Path, analyzer: Analyzer = analyzer, name: str = loaded.name) -> tuple:
                r = analyzer.analyze(load_evidence(sample)).results[name]
                return r.heatmap, r.mask

        floor_check(loaded.name, card, one)
    for path in sorted(models.glob(f"*{ENSEMBLE_SUFFIX}")):
        try:
            ens = Ensemble.load(path)
            members = [models / f"{m.model}.safetensors" for m in ens.members]
            missing = [p.name for p in members if not p.is_file()]
        except ForensicError as e:
            check(False, str(e))
            continue
        check(not missing, f"{path.name}: members {', '.join(m.model for m in ens.members)}")
        if missing:
            continue
        card_path = path.with_name(path.name.removesuffix(ENSEMBLE_SUFFIX) + ".md")
        card = card_text(card_path, missing=None)  # none: an ensemble's card is optional
        if card is None:
            continue
        analyzer = Analyzer([str(p) for p in members], device=device, ensemble=ens)

        def fused(sample: Path, analyzer: Analyzer = analyzer) -> tuple:
            r = analyzer.analyze(load_evidence(sample)).ensemble
            return r.heatmap, r.mask

        floor_check(ens.name, card, fused)
    say("self-test passed" if ok else "self-test FAILED")
    return ok
