"""An image thinner than a window or tile is padded one window at a time, as the whole image
was, and its fusion is kept at the image's size.

Padding the whole image up to the tile made a float copy of it at the padded size (a 100 x
1,000,000 strip: gigabytes) and, with cross-faded tiles or sliding windows, an accumulator
as large. Each window is now padded on its own: the same values (a window reaches beyond the
image only where the image is thinner than it, and reflect or replicate padding of a row or
column depends on it alone), so the maps are those of the whole padded image, bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engine import tiling
from engine.tiling import PartialFusion, overlap_crop_inference, sliding_window_inference

CLEAR_REFS = Path("/proc/self/clear_refs")


def _net() -> torch.nn.Module:
    """A small convolutional network: what it gives near the border depends on the padding."""
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 4, 5, padding=2), torch.nn.Tanh(), torch.nn.Conv2d(4, 2, 3, padding=1)
    ).eval()


def _run(image, net, how: str, weighting: str, partial: PartialFusion | None = None):
    if how == "tiles":
        return overlap_crop_inference(
            image, net, (32, 40), 4, batch_size=3, weighting=weighting, partial=partial
        )
    return sliding_window_inference(
        image, net, 32, 12, batch_size=3, weighting=weighting, partial=partial
    )


def _padded_whole(image, th: int, tw: int):
    """The image padded whole, as the inference functions padded it before."""
    if isinstance(image, np.ndarray):
        t = torch.from_numpy(image).permute(2, 0, 1)
        return tiling._pad_to(t, th, tw).permute(1, 2, 0).numpy().copy()
    return tiling._pad_to(image, th, tw)


@pytest.mark.parametrize("shape", [(5, 300), (300, 7), (1, 90), (90, 1), (20, 25), (40, 50)])
@pytest.mark.parametrize("how", ["tiles", "windows"])
@pytest.mark.parametrize("weighting", ["constant", "gaussian"])
@pytest.mark.parametrize("kind", ["uint8", "float"])
def test_a_thin_image_gives_the_maps_of_the_whole_padded_image(
    shape: tuple[int, int], how: str, weighting: str, kind: str
) -> None:
    h, w = shape
    rng = np.random.default_rng(h * 1000 + w)
    pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    image = pixels if kind == "uint8" else torch.from_numpy(pixels).permute(2, 0, 1) / 255.0
    th, tw = (32, 40) if how == "tiles" else (32, 32)
    net = _net()
    partial, before = PartialFusion(), PartialFusion()
    out = _run(image, net, how, weighting, partial)
    reference = _run(_padded_whole(image, th, tw), net, how, weighting, before)[:, :h, :w]
    assert out.shape == (2, h, w)
    assert torch.equal(out, reference)
    ours, theirs = partial.snapshot(), before.snapshot()
    assert ours is not None and theirs is not None
    assert np.array_equal(ours[0], theirs[0][:, :h, :w]) and ours[1] == theirs[1] == 1.0


def _peak_growth(run) -> int:
    """Bytes the process's peak resident memory rose above its resident memory while
    ``run()`` ran (VmHWM, reset first through /proc/self/clear_refs)."""

    def status(field: str) -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise LookupError(field)

    CLEAR_REFS.write_text("5")
    start = status("VmRSS")
    run()
    return status("VmHWM") - start


@pytest.mark.parametrize("kind", ["uint8", "float"])
def test_a_thin_image_is_never_padded_whole(kind: str) -> None:
    """4 x 100,000 in tiles of 256: padded whole, the float copy alone was 307 MB (and the
    cross-faded tiles' accumulator 102 MB more); one tile at a time, a few MB."""
    try:
        CLEAR_REFS.write_text("5")
    except OSError:
        pytest.skip("the peak resident memory cannot be reset here (/proc/self/clear_refs)")
    h, w, tile = 4, 100_000, 256
    pixels = np.random.default_rng(1).integers(0, 256, (h, w, 3), dtype=np.uint8)
    image = pixels if kind == "uint8" else torch.from_numpy(pixels).permute(2, 0, 1) / 255.0
    whole_float_copy = 3 * tile * w * 4
    out: list[torch.Tensor] = []

    def run() -> None:
        out.append(
            overlap_crop_inference(image, lambda b: b[:, :1], tile, 16, weighting="gaussian")
        )

    grew = _peak_growth(run)
    assert out[0].shape == (1, h, w)
    assert grew < whole_float_copy / 8, f"peak rose by {grew / 1e6:.0f} MB"
