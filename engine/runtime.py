"""Where a network's forward pass runs: PyTorch, or OpenVINO on the CPU.

A :class:`Runner` takes a normalised batch ``[B, 3, H, W]`` and returns the mask logits
``[B, 1, H, W]`` and the image logits ``[B]`` (None for mask-only networks), and answers a
``cancel()`` callback *inside* the forward pass, so that one large tile never holds up Cancel:

- :class:`TorchRunner` runs the module as it is (any device, autocast as asked) and checks
  ``cancel()`` before every submodule through forward pre-hooks.
- :class:`OpenVINORunner` runs an OpenVINO model converted from the same module at first use
  (``openvino.convert_model`` traces the PyTorch module; nothing is downloaded), cached as IR
  files in the user cache folder under a key made of the checkpoint's SHA-256, the input shape
  (fixed tile, or dynamic height and width), the OpenVINO version and :data:`EXPORT_VERSION`.
  A converted model is used only after its outputs matched PyTorch's on a test tile
  (:data:`TOLERANCE`); a model that does not match, or cannot be converted, leaves the network
  on PyTorch with a warning. It runs one stream of one thread per core, each on its own tile
  (``parallel`` tiles at once). Inference runs asynchronously and ``cancel()`` is polled every
  :data:`POLL_MS` ms; on Cancel the call returns at once and the running request is left to
  finish in the background (at most one tile of CPU time). fp32 only: the precision recorded
  is "fp32".

Why OpenVINO: on this project's 2-core AVX2 CPU it runs the four bundled networks 1.3-2.4x
faster than PyTorch's own CPU path at the same fp32 outputs (max |Δ| of logits ~1e-5), see
docs/BENCHMARKS.md. It is used only on the CPU and only by the fast path; the exact (reference)
path stays on PyTorch. ``FORENSIC_VIEWER_RUNTIME=torch`` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

import torch
from torch import nn

from engine.devices import autocast
from engine.tiling import Cancelled

log = logging.getLogger(__name__)

EXPORT_VERSION = 1  # bump when the exported graph's inputs/outputs change
TOLERANCE = 1e-3  # max |Δ| of logits between OpenVINO and PyTorch on the test tile, x max(1, |ref|)
POLL_MS = 20  # how often a running OpenVINO request checks cancel()

CancelFn = Callable[[], bool]
Outputs = tuple[torch.Tensor, torch.Tensor | None]


class RuntimeChoice(StrEnum):
    AUTO = "auto"  # OpenVINO on the CPU when it is installed, else PyTorch
    TORCH = "torch"
    OPENVINO = "openvino"


def cache_dir() -> Path:
    """``$FORENSIC_VIEWER_CACHE``, else ``$XDG_CACHE_HOME/forensic-viewer``, else ~/.cache/..."""
    env = os.environ.get("FORENSIC_VIEWER_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "forensic-viewer"


class Runner:
    """A network's forward pass: ``runner(x, cancel) -> (mask logits, image logits | None)``.

    parallel: how many tiles it runs at once; the tiler hands it batches of that many.
    """

    name = "torch"
    parallel = 1

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


def openvino_available() -> bool:
    try:
        import openvino  # noqa: F401
    except ImportError:
        return False
    return True


class OpenVINORunner(Runner):
    """An OpenVINO model converted from ``model`` for ``shape`` (None: dynamic H and W)."""

    name = "openvino"

    def __init__(
        self,
        model: nn.Module,
        sha256: str,
        shape: tuple[int, int] | None,
        *,
        threads: int | None = None,
        folder: Path | None = None,
    ) -> None:
        import openvino as ov

        self.shape = shape
        core = ov.Core()
        folder = (folder or cache_dir()) / "openvino"
        folder.mkdir(parents=True, exist_ok=True)
        tag = "dyn" if shape is None else f"{shape[0]}x{shape[1]}"
        key = f"{sha256[:20]}-{tag}-ov{ov.__version__.split('-')[0]}-e{EXPORT_VERSION}"
        xml = folder / f"{key}.xml"
        ov_model = None
        if xml.is_file() and xml.with_suffix(".bin").is_file():
            try:
                ov_model = core.read_model(str(xml))
            except RuntimeError as e:
                log.warning("re-exporting %s: the cached model cannot be read (%s)", xml, e)
        fresh = ov_model is None
        if ov_model is None:
            ov_model = self._convert(model, shape)
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
        self.compiled = core.compile_model(ov_model, "CPU", config)
        self._requests: list[Any] = self._new_requests()
        self._spares: list[Any] | None = self._new_requests()  # take over on a cancel
        self._abandoned: list[Any] = []  # cancelled requests still running (see _infer)
        self.outputs = len(self.compiled.outputs)
        if fresh:
            self._verify(model)
            _save_atomically(ov, ov_model, xml)
        self.cache_file = xml

    @staticmethod
    def _convert(model: nn.Module, shape: tuple[int, int] | None) -> object:
        import openvino as ov

        h, w = shape or (256, 256)
        example = _test_tile(h, w)
        dims = (1, 3, h, w) if shape is not None else (1, 3, -1, -1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about Python control flow
            return ov.convert_model(_Exported(model).eval(), example_input=example, input=[dims])

    def _verify(self, model: nn.Module) -> None:
        h, w = self.shape or (192, 256)
        x = _test_tile(h, w)
        with torch.inference_mode():
            ref = _Exported(model).eval()(x)
        got = self._infer(x, None)
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
        for req in running:
            while not req.wait_for(POLL_MS):
                if cancel is not None and cancel():
                    # OpenVINO's own InferRequest.cancel() left the compiled model giving wrong
                    # outputs afterwards (2026.4, CPU); so the running requests are left to
                    # finish on their own (kept referenced until they have), and the spares
                    # made beforehand take over (a new request cannot be made while one runs:
                    # it blocks until it ends).
                    self._abandoned = [r for r in self._abandoned if not r.wait_for(0)]
                    self._abandoned += running
                    self._requests, self._spares = self._spares, None
                    raise Cancelled("cancelled inside the network")
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


def _test_tile(h: int, w: int) -> torch.Tensor:
    """A fixed, image-like normalised input for export and verification."""
    g = torch.Generator().manual_seed(0)
    low = torch.rand(1, 3, max(1, h // 16), max(1, w // 16), generator=g)
    x = torch.nn.functional.interpolate(low, size=(h, w), mode="bilinear", align_corners=False)
    x = x + 0.05 * torch.randn(1, 3, h, w, generator=g)
    return (x - 0.45) / 0.25


def _save_atomically(ov: object, ov_model: object, xml: Path) -> None:
    """Write the IR pair so that a reader never sees half a model: .bin first, then .xml."""
    tmp = xml.with_name(f".{xml.stem}.{os.getpid()}.tmp.xml")
    try:
        ov.save_model(ov_model, str(tmp), compress_to_fp16=False)  # type: ignore[attr-defined]
        tmp.with_suffix(".bin").replace(xml.with_suffix(".bin"))
        tmp.replace(xml)
    except OSError as e:
        log.warning("could not cache the OpenVINO model in %s (%s)", xml.parent, e)
    finally:
        for p in (tmp, tmp.with_suffix(".bin")):
            with contextlib.suppress(OSError):
                p.unlink()


def make_runner(
    model: nn.Module,
    *,
    device: torch.device,
    precision: str,
    sha256: str,
    shape: tuple[int, int] | None,
    choice: RuntimeChoice | str = RuntimeChoice.AUTO,
) -> Runner:
    """The runner for one network: OpenVINO when chosen (or ``auto`` on the CPU with OpenVINO
    installed) and the conversion succeeds, PyTorch otherwise. ``auto`` defers to the
    environment variable ``FORENSIC_VIEWER_RUNTIME`` (``torch`` or ``openvino``) when set."""
    choice = RuntimeChoice(choice)
    if choice is RuntimeChoice.AUTO:
        choice = RuntimeChoice(os.environ.get("FORENSIC_VIEWER_RUNTIME") or choice)
    # ``auto`` converts only checkpoints read from a file (a SHA-256 names them): a model being
    # trained changes between validations, and each conversion would cost seconds and a file.
    want_ov = choice is RuntimeChoice.OPENVINO or (
        choice is RuntimeChoice.AUTO
        and bool(sha256)
        and device.type == "cpu"
        and openvino_available()
    )
    if want_ov and device.type == "cpu" and precision == "fp32":
        try:
            return OpenVINORunner(model, sha256 or _weights_digest(model), shape)
        except Exception as e:  # any failure of an optional accelerator leaves PyTorch in charge
            log.warning("OpenVINO is not used for this model (%s: %s)", type(e).__name__, e)
    return TorchRunner(model, device, precision)


def _weights_digest(model: nn.Module) -> str:
    """A digest of the weights, for models that did not come from a file."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


__all__ = [
    "Cancelled",
    "OpenVINORunner",
    "Runner",
    "RuntimeChoice",
    "TorchRunner",
    "cache_dir",
    "cancel_hooks",
    "make_runner",
    "openvino_available",
]
