"""Where a network's forward pass runs: PyTorch, or OpenVINO on the CPU.

A :class:`Runner` takes a normalised batch ``[B, 3, H, W]`` and returns the mask logits
``[B, 1, H, W]`` and the image logits ``[B]`` (None for mask-only networks), and answers a
``cancel()`` callback *inside* the forward pass, so that one large tile never holds up Cancel:

- :class:`TorchRunner` runs the module as it is (any device, autocast as asked) and checks
  ``cancel()`` before every submodule through forward pre-hooks.
- :class:`OpenVINORunner` runs an OpenVINO model converted from the same module at first use
  (``openvino.convert_model`` traces the PyTorch module; nothing is downloaded), cached as one
  file in the user cache folder under a key made of the checkpoint's SHA-256, the input shape
  (fixed tile, or dynamic height and width), the OpenVINO version and :data:`EXPORT_VERSION`
  (:mod:`engine.ovcache`: written whole or not at all, read only when its key and SHA-256
  match; a cache folder that cannot be written leaves the conversion in memory, said once).
  A conversion is used, and cached, only after its outputs matched PyTorch's on a test tile
  (:data:`TOLERANCE`); a model that does not match, or cannot be converted, leaves the network
  on PyTorch with a warning. It runs one stream of one thread per core, each on its own tile
  (``parallel`` tiles at once). Inference runs asynchronously and ``cancel()`` is polled every
  :data:`POLL_MS` ms; on Cancel the call returns at once and the running request is left to
  finish in the background (at most one tile of CPU time). The precision recorded is the
  runner's: "fp32", or "int8" for a bundled int8 model (below). Its model files are read
  through :mod:`engine.files` and given to OpenVINO as bytes (:func:`read_ir`,
  :func:`engine.ovcache.read_conversion`), so a named pipe
  at their names is a warning naming it, never a wait inside OpenVINO.

Why OpenVINO: on this project's 2-core AVX2 CPU it runs the four bundled networks 1.3-2.4x
faster than PyTorch's own CPU path at the same fp32 outputs (max |Δ| of logits ~1e-5), see
docs/BENCHMARKS.md. It is used only on the CPU and only by the fast path; the exact (reference)
path stays on PyTorch fp32. ``FORENSIC_VIEWER_RUNTIME=torch`` turns it off.

int8 (issue 18). A bundled network may ship an int8 OpenVINO model next to its checkpoint:
``NAME.int8.xml`` / ``.bin`` and the key ``NAME.int8.json`` (:func:`bundled_int8`). The fast
path then runs it instead of the fp32 conversion when the key matches: the checkpoint's
SHA-256, the tile shape, precision "int8" and :data:`INT8_RECIPE_VERSION`. Like the fp32
conversion it is used only after its outputs matched PyTorch's on the test tile, with int8's
looser bound (:data:`INT8_TOLERANCE`); otherwise, or when the files are missing, the network
runs the fp32 conversion with a warning. ``FORENSIC_VIEWER_RUNTIME=openvino-fp32`` (or
``runtime="openvino-fp32"``) keeps every network at fp32. Only crfd-net-compact ships one:
3.4x faster per 512² tile than fp32 on one AVX2 thread, and on CASIA validation its pixel F1
and image AUC stay within 0.004 of the exact path's (2 of 90 verdicts differ from the exact
path's, 3 for the fp32 fast path); the int8 diffforensics-effl0 kept the F1/AUC bound too but
changed 5 of 90 validation verdicts where its fp32 fast path changes none (its image logit
moved by up to 0.4), for about 2 s at 12 MP, and is not shipped (docs/BENCHMARKS.md, int8).

The key also records the SHA-256 of the ``.xml`` and ``.bin`` (``files``), and the bytes given
to OpenVINO must hash to them (:func:`checked_int8_files`). A changed file is one warning naming
it, and the network runs the fp32 conversion of its checked checkpoint, recorded as precision
"fp32": the outputs test alone let weights with flipped bits run as "int8" (the forged
fraction moved by 0.02 %). Why fp32 rather than a refusal: the int8 model is an accelerator of
the checkpoint, whose SHA-256 the results name and ``selftest`` checks, so the fp32 result is
the checkpoint's own, labelled as such; a refusal would stop the analysis for a file the
analysis does not need. Results name the files that ran (:attr:`OpenVINORunner.files`).

Why a shipped int8 model, quantised when the models are built (``trainer/quantize.py``,
``make int8``), and not on the analyst's machine: post-training quantisation needs calibration
images that look like the training data, and the product ships no CASIA data (research-use
licence; not part of the product). The options were: (a) quantise at build time on a few
hundred images of the CASIA *training* part and ship the int8 model; (b) ship NNCF's
activation statistics and quantise at first use; (c) calibrate on the image being analysed;
(d) data-free quantisation. (b) needs NNCF at run time (a large dependency, and minutes of
quantisation per network before the first analysis), and NNCF 3.4 reuses stored statistics only
for weight compression, not for ``nncf.quantize``; (c) makes a network's output on the same
pixels depend on which evidence set its ranges (no longer one reproducible model across a
case), costs minutes per image, and calibrates on exactly the content being questioned;
(d) has no activation ranges to set (synthetic inputs do not exercise a forensic network's
features) and would need the same checks with nothing fitted to the data. (a) keeps the run
time free of NNCF, makes every installation run the one int8 model that was checked on CASIA
validation against the reference path (``bench/bench_fastpath_accuracy.py``), and costs
0.55 MB. The int8 model is a build artefact like the checkpoint it is made from:
``make int8 DATA=...`` (also run by ``make weights``) remakes it, and a retrained checkpoint
without a new one keeps the fp32 path (the key no longer matches).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.devices import autocast
from engine.files import not_regular_reason, read_regular, read_regular_text
from engine.ovcache import (
    SUFFIX,
    cache_dir,
    one_line,
    openvino_folder,
    read_conversion,
    save_conversion,
)
from engine.tiling import Cancelled

log = logging.getLogger(__name__)

EXPORT_VERSION = 1  # bump when the exported graph's inputs/outputs change
TOLERANCE = 1e-3  # max |Δ| of logits between OpenVINO and PyTorch on the test tile, x max(1, |ref|)
POLL_MS = 20  # how often a running OpenVINO request checks cancel()
INT8_RECIPE_VERSION = 1  # bump when trainer/quantize.py's calibration recipe changes
INT8_SUFFIX = ".int8"  # NAME.int8.xml / .bin / .json beside NAME.safetensors
# An int8 model's test-tile outputs against PyTorch's: mean |Δ| of the probabilities (sigmoid of
# the mask logits) and |Δ| of the image logit / max(1, |ref|). The shipped crfd-net-compact
# model measured 0.011 (0.012 on a 512² test tile, 0.007 on a crop of a bundled sample); the
# unshipped diffforensics-effl0 one 0.009 and 0.004. This catches a wrong or broken model (a
# logit shift of 2 fails it), not quantisation noise.
INT8_TOLERANCE = {"mask_prob_mean": 0.03, "image_logit": 0.25}
# OpenVINO's CPU plugin keeps what it prepared for each input shape (the nodes' executors) in a
# runtime cache of 5,000 entries per stream: about 5 MB per shape for crfd-net-compact's dynamic
# model, whose tile follows a small image's size, so a scan worker grew from 1.0 to 3.4 GB over
# 500 images of random sizes. 0 disables that cache (an internal property of the plugin: an
# OpenVINO that does not know it refuses the compile, and the runner compiles without it, with a
# warning). A shape met again is prepared again, measured no slower (docs/BENCHMARKS.md); the
# tiles of one image share one shape, which the plugin keeps from one tile to the next.
RUNTIME_CACHE = {"CPU_RUNTIME_CACHE_CAPACITY": 0}

CancelFn = Callable[[], bool]
Outputs = tuple[torch.Tensor, torch.Tensor | None]


class RuntimeChoice(StrEnum):
    AUTO = "auto"  # OpenVINO on the CPU when it is installed, else PyTorch
    TORCH = "torch"
    OPENVINO = "openvino"  # OpenVINO, int8 where a bundled int8 model matches, else fp32
    OPENVINO_FP32 = "openvino-fp32"  # OpenVINO, fp32 only


class Runner:
    """A network's forward pass: ``runner(x, cancel) -> (mask logits, image logits | None)``.

    parallel: how many tiles it runs at once; the tiler hands it batches of that many.
    """

    name = "torch"
    parallel = 1
    precision = "fp32"

    def __call__(self, x: torch.Tensor, cancel: CancelFn | None = None) -> Outputs:
        raise NotImplementedError


def split_outputs(out: object) -> Outputs:
    """A network's output (a mask tensor, or a dict with "mask" and "image") as a pair."""
    if isinstance(out, dict):
        image = out.get("image")
        return out["mask"], None if image is None else image.reshape(-1)
    assert isinstance(out, torch.Tensor)
    return out, None


@contextlib.contextmanager
def cancel_hooks(model: nn.Module, cancel: CancelFn | None) -> Iterator[None]:
    """While active, every submodule of ``model`` checks ``cancel()`` before it runs and
    raises :class:`Cancelled`: a forward pass stops within one block."""
    if cancel is None:
        yield
        return

    def check(module: nn.Module, args: object) -> None:
        if cancel():
            raise Cancelled("cancelled inside the network")

    handles = [m.register_forward_pre_hook(check) for m in model.modules()]
    try:
        yield
    finally:
        for h in handles:
            h.remove()


class TorchRunner(Runner):
    """The PyTorch module itself on its device."""

    name = "torch"

    def __init__(self, model: nn.Module, device: torch.device, precision: str) -> None:
        self.model = model
        self.device = device
        self.precision = precision

    def __call__(self, x: torch.Tensor, cancel: CancelFn | None = None) -> Outputs:
        with torch.inference_mode(), cancel_hooks(self.model, cancel):
            with autocast(self.device, self.precision):
                out = self.model(x)
            return split_outputs(out)


class _Exported(nn.Module):
    """What is traced for export: the logits as a tuple (mask, image) or (mask,)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        mask, image = split_outputs(self.model(x))
        return (mask,) if image is None else (mask, image)


def export_openvino(model: nn.Module, shape: tuple[int, int] | None) -> Any:
    """``model`` as an fp32 OpenVINO model taking ``[1, 3, *shape]`` (None: any height and
    width) and giving the logits (mask, image) or (mask,)."""
    import openvino as ov

    h, w = shape or (256, 256)
    example = _test_tile(h, w)
    dims = (1, 3, h, w) if shape is not None else (1, 3, -1, -1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow
        return ov.convert_model(_Exported(model).eval(), example_input=example, input=[dims])


_CORE_LOCK = threading.Lock()
_CORE: Any = None


def openvino_core() -> Any:
    """The process's one ``openvino.Core``, made at first use and kept until exit.

    One per runner was a crash: each Core's CPU plugin puts an alternate signal stack of its
    own on the thread that first compiles with it, remembering the one before, and puts that
    one back (freeing its own) when the Core goes. Two runners freed in the order they were
    made left the thread's alternate stack pointing at freed memory, so the next signal
    handled there (Ctrl+C, the command line's SIGTERM, the trainer's Stop) was a segmentation
    fault instead (CI met it: pytest died at a trainer test's SIGTERM, after the OpenVINO
    tests). One Core never freed sets the stack once and never leaves a freed one behind."""
    global _CORE
    with _CORE_LOCK:
        if _CORE is None:
            import openvino as ov

            _CORE = ov.Core()
        return _CORE


def _compile(core: Any, ov_model: Any, config: dict[str, Any]) -> Any:
    """``ov_model`` compiled for the CPU with ``config`` and :data:`RUNTIME_CACHE`; without the
    latter (one warning) when this OpenVINO's plugin refuses it, rather than leave OpenVINO."""
    try:
        return core.compile_model(ov_model, "CPU", {**config, **RUNTIME_CACHE})
    except RuntimeError as e:
        if not any(k in str(e) for k in RUNTIME_CACHE):
            raise
        log.warning("OpenVINO's runtime cache is not bounded: %s", one_line(e))
    return core.compile_model(ov_model, "CPU", config)


def openvino_available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


class OpenVINORunner(Runner):
    """An OpenVINO model converted from ``model`` for ``shape`` (None: dynamic H and W), or,
    with ``int8``, the bundled int8 model at that path (see :func:`bundled_int8`)."""

    name = "openvino"
    # what ran: the int8 model's files by name with their SHA-256 (:func:`checked_int8_files`),
    # or ``{"fp32 conversion": "dyn-ov2026.4.1-e1"}`` (tile shape, OpenVINO build, export)
    files: dict[str, str]

    def __init__(
        self,
        model: nn.Module,
        sha256: str,
        shape: tuple[int, int] | None,
        *,
        threads: int | None = None,
        folder: Path | None = None,
        int8: Path | None = None,
    ) -> None:
        import openvino as ov

        self.shape = shape
        core = openvino_core()
        if int8 is not None:
            self.precision = "int8"
            file: Path | None = int8
            ir = read_ir(int8)
            # the bytes OpenVINO is given, against the SHA-256 recorded when they were made
            self.files = checked_int8_files(int8, ir)
            ov_model = core.read_model(*ir)
            fresh = True  # verified below; never written to the cache
        else:
            folder = openvino_folder(folder)  # None: cannot be made (said once), no cache
            key = conversion_key(sha256, shape)
            tag = "dyn" if shape is None else f"{shape[0]}x{shape[1]}"
            # OpenVINO's whole version, build included: two installs sharing a home (a lab's
            # network home) keep a conversion each instead of replacing each other's at every
            # start (the key inside the file holds it too, so a misnamed one is never used)
            build = re.sub(r"[^0-9A-Za-z.]+", "_", ov.__version__)
            name = f"{sha256[:20]}-{tag}-ov{build}-e{EXPORT_VERSION}"
            file = None if folder is None else folder / f"{name}{SUFFIX}"
            # what ran, for the results: a conversion is named by its key (the checkpoint's
            # SHA-256, recorded beside, the shape, OpenVINO's version and the export version)
            self.files = {"fp32 conversion": name.split("-", 1)[1]}
            cached = None if file is None else read_conversion(file, key)
            fresh = cached is None
            if cached is None:
                ov_model = self._convert(model, shape)
            else:
                try:
                    ov_model = core.read_model(*cached)
                except RuntimeError as e:  # hashed as written: an OpenVINO that cannot read it
                    log.warning(
                        "%s: the cached OpenVINO conversion cannot be read (%s); "
                        "converting it again",
                        file,
                        one_line(e),
                    )
                    ov_model, fresh = self._convert(model, shape), True
        # One stream of one thread per core, each running its own tile: no thread of one
        # tile waits for another at every layer, which on a shared 2-core machine (other jobs
        # descheduling one of the threads) made one 2-thread request up to 1.7x slower.
        self.parallel = max(1, int(threads or torch.get_num_threads()))
        config = {
            "INFERENCE_NUM_THREADS": self.parallel,
            "NUM_STREAMS": self.parallel,
            "PERFORMANCE_HINT": "THROUGHPUT",
            "INFERENCE_PRECISION_HINT": "f32",
        }
        self.compiled = _compile(core, ov_model, config)
        self._requests: list[Any] = self._new_requests()
        self._spares: list[Any] | None = self._new_requests()  # take over on a cancel
        self._abandoned: list[Any] = []  # cancelled requests still running (see _infer)
        self.outputs = len(self.compiled.outputs)
        if fresh:
            self._verify(model)
            if int8 is None and file is not None:
                save_conversion(ov_model, file, key)
        self.cache_file = file  # the int8 model's, or the conversion's; None: not cached

    @staticmethod
    def _convert(model: nn.Module, shape: tuple[int, int] | None) -> object:
        return export_openvino(model, shape)

    def _verify(self, model: nn.Module) -> None:
        h, w = self.shape or (192, 256)
        x = _test_tile(h, w)
        with torch.inference_mode():
            ref = _Exported(model).eval()(x)
        got = self._infer(x, None)
        if self.precision == "int8":
            _check_int8(ref, got)
            return
        for r, g in zip(ref, got, strict=False):
            if g is None:
                continue
            diff = float((r.float() - g.reshape(r.shape)).abs().max())
            tol = TOLERANCE * max(1.0, float(r.abs().max()))
            if not diff <= tol:
                raise RuntimeError(
                    f"OpenVINO output differs from PyTorch by {diff:.3g} (tolerance {tol:.3g})"
                )

    def _new_requests(self) -> list[Any]:
        return [self.compiled.create_infer_request() for _ in range(self.parallel)]

    def _infer(self, x: torch.Tensor, cancel: CancelFn | None) -> Outputs:
        """Up to ``parallel`` tiles [B, 3, H, W] at once, one request (stream) each."""
        if cancel is not None and cancel():
            raise Cancelled("cancelled before the network ran")
        if self._spares is None:  # after a cancel
            self._spares = self._new_requests()
        running = self._requests[: x.shape[0]]
        data = x.detach().float().cpu().contiguous().numpy()
        for i, req in enumerate(running):
            req.start_async([data[i : i + 1]])
        try:
            for req in running:
                while not req.wait_for(POLL_MS):
                    if cancel is not None and cancel():
                        # OpenVINO's own InferRequest.cancel() left the compiled model giving
                        # wrong outputs afterwards (2026.4, CPU); so the running requests are
                        # left to finish on their own (kept referenced until they have), and the
                        # spares made beforehand take over (a new request cannot be made while
                        # one runs: it blocks until it ends).
                        self._abandoned = [r for r in self._abandoned if not r.wait_for(0)]
                        self._abandoned += running
                        self._requests, self._spares = self._spares, None
                        raise Cancelled("cancelled inside the network")
        except (KeyboardInterrupt, SystemExit):
            # Ctrl+C, or SIGTERM (engine.ending.Terminated), while tiles run: the
            # process is on its way out, so the running requests end first (one tile's time)
            # rather than run on while the runner and the interpreter are torn down around them
            for req in running:
                req.wait()
            raise
        masks = [torch.from_numpy(r.get_output_tensor(0).data.copy()) for r in running]
        if self.outputs < 2:
            return torch.cat(masks), None
        images = [torch.from_numpy(r.get_output_tensor(1).data.copy()) for r in running]
        return torch.cat(masks), torch.cat([i.reshape(-1) for i in images])

    def __call__(self, x: torch.Tensor, cancel: CancelFn | None = None) -> Outputs:
        parts = [
            self._infer(x[i : i + self.parallel], cancel) for i in range(0, len(x), self.parallel)
        ]
        masks = torch.cat([m for m, _ in parts])
        if parts[0][1] is None:
            return masks, None
        return masks, torch.cat([i for _, i in parts if i is not None])


def int8_difference(ref: tuple[torch.Tensor, ...], got: Outputs) -> dict[str, float]:
    """How far an int8 model's outputs are from PyTorch's, in :data:`INT8_TOLERANCE`'s terms."""
    mask = ref[0].float()
    out = {
        "mask_prob_mean": float(
            (torch.sigmoid(mask) - torch.sigmoid(got[0].reshape(mask.shape))).abs().mean()
        )
    }
    if len(ref) > 1 and got[1] is not None:
        r = ref[1].float().reshape(-1)
        out["image_logit"] = float(((r - got[1].reshape(-1)).abs() / r.abs().clamp(min=1.0)).max())
    return out


def _check_int8(ref: tuple[torch.Tensor, ...], got: Outputs) -> None:
    for k, v in int8_difference(ref, got).items():
        if not v <= INT8_TOLERANCE[k]:
            raise RuntimeError(
                f"int8 output differs from PyTorch: {k} {v:.3g} (tolerance {INT8_TOLERANCE[k]})"
            )


def int8_key(sha256: str, shape: tuple[int, int] | None) -> dict[str, object]:
    """What a bundled int8 model must have been made for to be used (its ``.int8.json``)."""
    return {
        "checkpoint_sha256": sha256,
        "shape": None if shape is None else list(shape),
        "precision": "int8",
        "recipe_version": INT8_RECIPE_VERSION,
    }


def int8_files(checkpoint: Path) -> tuple[Path, Path]:
    """``NAME.int8.json`` (the key) and ``NAME.int8.xml`` (with its ``.bin``) for ``NAME.*``."""
    stem = checkpoint.name.split(".")[0] + INT8_SUFFIX
    return checkpoint.with_name(stem + ".json"), checkpoint.with_name(stem + ".xml")


def bundled_int8(
    checkpoint: Path | None, sha256: str, shape: tuple[int, int] | None
) -> Path | None:
    """The int8 model (``.xml``) shipped beside ``checkpoint`` for this checkpoint and tile shape,
    or None: no such files, a key (``NAME.int8.json``) made for another checkpoint, shape,
    precision or calibration recipe (a stale model is logged and left unused), or model files
    whose SHA-256 is not the one the key records (:func:`checked_int8_files`: logged, and the
    fp32 conversion runs; the runner checks the bytes it is given again)."""
    if checkpoint is None or not sha256:
        return None
    meta, xml = int8_files(checkpoint)
    # Present is enough here: the key and the model are read (read_ir) through engine.files,
    # so a pipe or device put in their place is refused there with a line.
    if not (meta.exists() and xml.exists() and xml.with_suffix(".bin").exists()):
        return None
    try:
        key = json.loads(read_regular_text(meta)).get("key")
    except (OSError, ValueError, AttributeError) as e:
        reason = not_regular_reason(e) if isinstance(e, OSError) else None
        log.warning("%s: cannot read the int8 model's key (%s); fp32 is used", meta, reason or e)
        return None
    wanted = int8_key(sha256, shape)
    if key != wanted:
        if isinstance(key, dict) and key.get("shape") == wanted["shape"]:
            log.warning("%s was made for another checkpoint or recipe; fp32 is used", meta)
        return None
    try:
        checked_int8_files(xml, read_ir(xml))
    except (OSError, IRFileError, Int8FileError) as e:
        log.warning("the int8 model %s is not used (%s); fp32 is used", xml, one_line(e))
        return None
    return xml


class Int8FileError(RuntimeError):
    """An int8 model file whose SHA-256 is not the one recorded in its ``NAME.int8.json`` (or
    that records none); ``str()`` is one line naming the file."""


def int8_digests(xml: Path, ir: tuple[bytes, bytes]) -> dict[str, str]:
    """``{"NAME.int8.xml": SHA-256, "NAME.int8.bin": SHA-256}`` of the model bytes ``ir``
    (:func:`read_ir` of ``xml``): what ``NAME.int8.json``'s ``files`` records
    (``trainer/quantize.py``) and what results name as having run."""
    names = (xml.name, xml.with_suffix(".bin").name)
    return {n: hashlib.sha256(b).hexdigest() for n, b in zip(names, ir, strict=True)}


def checked_int8_files(xml: Path, ir: tuple[bytes, bytes]) -> dict[str, str]:
    """:func:`int8_digests` of ``ir``, when they are those ``NAME.int8.json`` records in
    ``files``; else :class:`Int8FileError` naming the file that differs (or the key, when it
    records none). A bit flipped in the weights ran without a word before (2026-12-05 review:
    the forged fraction moved from 14.58 % to 14.56 %, within the int8 check's tolerance)."""
    meta = int8_files(xml)[0]
    try:
        recorded = json.loads(read_regular_text(meta)).get("files")
    except (OSError, ValueError, AttributeError) as e:
        raise Int8FileError(f"{meta}: cannot be read ({one_line(e)})") from e
    got = int8_digests(xml, ir)
    if not isinstance(recorded, dict) or set(recorded) != set(got):
        raise Int8FileError(f"{meta}: records no SHA-256 of {', '.join(got)}")
    for name, digest in got.items():
        if recorded[name] != digest:
            raise Int8FileError(
                f"{xml.with_name(name)}: its SHA-256 {digest[:16]}... is not the "
                f"{str(recorded[name])[:16]}... recorded in {meta.name} (the file was changed)"
            )
    return got


class IRFileError(RuntimeError):
    """An OpenVINO IR file that cannot be read; ``str()`` is one line naming the file."""


def read_ir(xml: Path) -> tuple[bytes, bytes]:
    """The bytes of the OpenVINO model ``xml`` and of its weights ``.bin``, for
    ``core.read_model(xml_bytes, bin_bytes)``. Read through :func:`engine.files.read_regular`
    (read-only, never waiting, regular files only), not handed to OpenVINO by name: OpenVINO
    would wait forever on a named pipe put there, and read whatever file is at the path when it
    opens it rather than the one a check before saw. Raises FileNotFoundError when either is
    missing, :class:`IRFileError` naming the file for any other reason."""
    out = []
    for path in (xml, xml.with_suffix(".bin")):
        try:
            out.append(read_regular(path))
        except FileNotFoundError:
            raise
        except OSError as e:
            raise IRFileError(f"{path}: {not_regular_reason(e) or e.strerror or e}") from e
    return out[0], out[1]


def _test_tile(h: int, w: int) -> torch.Tensor:
    """A fixed, image-like normalised input for export and verification."""
    g = torch.Generator().manual_seed(0)
    low = torch.rand(1, 3, max(1, h // 16), max(1, w // 16), generator=g)
    x = torch.nn.functional.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)
    x = x + 0.05 * torch.randn(1, 3, h, w, generator=g)
    return (x - 0.45) / 0.25


def conversion_key(sha256: str, shape: tuple[int, int] | None) -> dict[str, object]:
    """What a cached conversion must have been made for to be used (:mod:`engine.ovcache`)."""
    import openvino as ov

    return {
        "checkpoint_sha256": sha256,
        "shape": None if shape is None else list(shape),
        "openvino": ov.__version__,
        "export_version": EXPORT_VERSION,
    }


def chosen_runtime(choice: RuntimeChoice | str) -> RuntimeChoice:
    """``choice``, with ``auto`` deferring to ``FORENSIC_VIEWER_RUNTIME`` when that is set."""
    choice = RuntimeChoice(choice)
    if choice is RuntimeChoice.AUTO:
        choice = RuntimeChoice(os.environ.get("FORENSIC_VIEWER_RUNTIME") or choice)
    return choice


def wants_openvino(
    choice: RuntimeChoice, device: torch.device, precision: str, sha256: str
) -> bool:
    """Whether :func:`make_runner` tries OpenVINO for ``choice`` (:func:`chosen_runtime`)."""
    # ``auto`` converts only checkpoints read from a file (a SHA-256 names them): a model being
    # trained changes between validations, and each conversion would cost seconds and a file.
    want_ov = choice in (RuntimeChoice.OPENVINO, RuntimeChoice.OPENVINO_FP32) or (
        choice is RuntimeChoice.AUTO
        and bool(sha256)
        and device.type == "cpu"
        and openvino_available()
    )
    return want_ov and device.type == "cpu" and precision == "fp32"


def runs_int8(
    choice: RuntimeChoice | str, device: torch.device, precision: str, sha256: str
) -> bool:
    """Whether :func:`make_runner` runs a bundled int8 model given one (and it loads)."""
    choice = chosen_runtime(choice)
    return choice is not RuntimeChoice.OPENVINO_FP32 and wants_openvino(
        choice, device, precision, sha256
    )


def int8_to_run(
    choice: RuntimeChoice | str,
    device: torch.device,
    precision: str,
    loaded: Any,
    shape: tuple[int, int] | None,
) -> dict[str, str] | None:
    """The SHA-256 by name of the bundled int8 files :func:`make_runner` will run for the
    checkpoint ``loaded`` (an :class:`engine.checkpoints.LoadedModel`) at ``shape``: None when
    the choice, device or precision keep it off, or no checked int8 model is there."""
    if not runs_int8(choice, device, precision, loaded.sha256):
        return None
    xml = bundled_int8(loaded.path, loaded.sha256, shape)
    try:
        return None if xml is None else int8_digests(xml, read_ir(xml))
    except (OSError, IRFileError):  # gone since: fp32 runs
        return None


def make_runner(
    model: nn.Module,
    *,
    device: torch.device,
    precision: str,
    sha256: str,
    shape: tuple[int, int] | None,
    choice: RuntimeChoice | str = RuntimeChoice.AUTO,
    int8: Path | None = None,
) -> Runner:
    """The runner for one network: OpenVINO when chosen (or ``auto`` on the CPU with OpenVINO
    installed) and the conversion succeeds, PyTorch otherwise; on OpenVINO the int8 model
    ``int8`` (:func:`bundled_int8`) when given and not ``openvino-fp32``, and it loads and
    matches PyTorch, else the fp32 conversion. ``auto`` defers to the environment variable
    ``FORENSIC_VIEWER_RUNTIME`` (``torch``, ``openvino`` or ``openvino-fp32``) when set."""
    choice = chosen_runtime(choice)
    if wants_openvino(choice, device, precision, sha256):
        digest = sha256 or _weights_digest(model)
        if int8 is not None and choice is not RuntimeChoice.OPENVINO_FP32:
            try:
                return OpenVINORunner(model, digest, shape, int8=int8)
            except Exception as e:  # the fp32 conversion takes over
                log.warning(
                    "the int8 model %s is not used (%s: %s)", int8, type(e).__name__, one_line(e)
                )
        try:
            return OpenVINORunner(model, digest, shape)
        except Exception as e:  # any failure of an optional accelerator leaves PyTorch in charge
            log.warning(
                "OpenVINO is not used for this model (%s: %s)", type(e).__name__, one_line(e)
            )
    return TorchRunner(model, device, precision)


def _weights_digest(model: nn.Module) -> str:
    """A digest of the weights, for models that did not come from a file."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


__all__ = [
    "INT8_RECIPE_VERSION",
    "INT8_TOLERANCE",
    "Cancelled",
    "IRFileError",
    "Int8FileError",
    "OpenVINORunner",
    "Runner",
    "RuntimeChoice",
    "TorchRunner",
    "bundled_int8",
    "cache_dir",
    "cancel_hooks",
    "checked_int8_files",
    "conversion_key",
    "export_openvino",
    "int8_difference",
    "int8_digests",
    "int8_files",
    "int8_key",
    "int8_to_run",
    "make_runner",
    "openvino_available",
    "read_ir",
    "runs_int8",
]
