"""Simplex noise: moments, bound, spectrum, frequency scale, determinism."""

from __future__ import annotations

import pytest
import torch

from trainer.noise import simplex_bound, simplex_noise

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _radial_power(fields: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """fields: [N, H, W] -> (|f| in cycles/pixel [H, W], mean power spectrum [H, W])."""
    h, w = fields.shape[-2:]
    power = torch.fft.fft2(fields.double()).abs().pow(2).mean(0)
    fy = torch.fft.fftfreq(h, dtype=torch.float64)[:, None]
    fx = torch.fft.fftfreq(w, dtype=torch.float64)[None, :]
    return (fx**2 + fy**2).sqrt(), power


def test_mean_zero_unit_variance() -> None:
    x = torch.cat([simplex_noise((32, 3, 128, 128), generator=_gen(s)) for s in range(2)])
    assert x.shape == (64, 3, 128, 128) and x.dtype == torch.float32
    assert abs(float(x.mean())) < 0.06
    assert abs(float(x.double().pow(2).mean()) - 1.0) < 0.06


def test_bounded_unlike_gaussian_noise() -> None:
    x = simplex_noise((16, 3, 128, 128), generator=_gen(1))
    bound = simplex_bound()  # paper parameters: octaves 6, decay 0.8
    assert 2.0 < float(x.abs().max()) <= bound < 4.5
    # 786k Gaussian draws of unit variance exceed that bound almost surely.
    g = torch.randn(16, 3, 128, 128, generator=_gen(1))
    assert float(g.abs().max()) > bound


def test_most_energy_in_the_low_octaves() -> None:
    freq, power = _radial_power(simplex_noise((24, 256, 256), generator=_gen(2)))
    low = (freq > 0) & (freq <= 1 / 32)  # around octaves 0-1 (ν = 2^-6, 2^-5)
    high = freq >= 1 / 4  # around octaves 4-5
    density_ratio = power[low].mean() / power[high].mean()
    assert density_ratio > 50
    assert power[(freq > 0) & (freq < 1 / 16)].sum() / power[freq > 0].sum() > 0.5
    # The same measure does not hold for white noise, nor when the decay favours high octaves.
    _, white = _radial_power(torch.randn(24, 256, 256, generator=_gen(2)))
    assert white[low].mean() / white[high].mean() < 2
    _, rising = _radial_power(simplex_noise((24, 256, 256), decay=1.6, generator=_gen(2)))
    assert rising[low].mean() / rising[high].mean() < density_ratio / 10


def test_frequency_is_in_cycles_per_pixel() -> None:
    def lag_correlation(frequency: float, lag: int) -> float:
        x = simplex_noise((32, 128, 128), frequency=frequency, octaves=1, generator=_gen(3))
        a, b = x[..., :, :-lag].flatten(), x[..., :, lag:].flatten()
        return float(torch.corrcoef(torch.stack([a, b]))[0, 1])

    assert lag_correlation(2**-6, 4) > 0.8  # lattice of ~64 px: 4 px apart is nearly the same
    assert abs(lag_correlation(2**-2, 4)) < 0.2  # lattice of ~4 px: 4 px apart is unrelated


def test_same_seed_reproduces_and_fields_are_independent() -> None:
    a = simplex_noise((2, 3, 64, 96), generator=_gen(7))
    b = simplex_noise((2, 3, 64, 96), generator=_gen(7))
    c = simplex_noise((2, 3, 64, 96), generator=_gen(8))
    assert torch.equal(a, b)
    assert (a - c).abs().mean() > 0.5
    # Fields of one call (images, channels) are different draws, uncorrelated. A higher
    # frequency gives enough independent blobs per field to measure that.
    fine = simplex_noise((2, 3, 64, 96), frequency=2**-3, generator=_gen(7))
    corr = torch.corrcoef(fine.reshape(6, -1))
    assert corr[~torch.eye(6, dtype=torch.bool)].abs().max() < 0.15


def test_arguments_are_validated() -> None:
    with pytest.raises(ValueError, match="at least"):
        simplex_noise((16,))
    with pytest.raises(ValueError, match="octaves"):
        simplex_noise((8, 8), octaves=0)
    with pytest.raises(ValueError, match="frequency"):
        simplex_noise((8, 8), frequency=0.0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_same_noise_on_cuda() -> None:
    cpu = simplex_noise((2, 3, 64, 64), generator=_gen(5))
    gpu = simplex_noise((2, 3, 64, 64), generator=_gen(5), device="cuda")
    assert gpu.is_cuda
    assert torch.allclose(cpu, gpu.cpu(), atol=1e-4)
