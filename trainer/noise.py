"""Simplex noise for DiffForensics stage 1 (paper §3.1, Algorithm 1; AnoDDPM, ref. [43]).

``simplex_noise(shape)`` returns fractal 2-D simplex noise ``ε ~ S(ν, N, γ)`` with one
independent field per leading index (every image and channel of a ``[B, C, H, W]`` batch),
computed on the device in torch: vectorised over fields and pixels, with a Python loop over the
octaves only.

Definition (octave o = 0 .. N-1)::

    ε(p) = Σ_o γ^o · n_o((p + δ_o) · ν · 2^o) / σ_n  /  sqrt(Σ_o γ^(2o))

where p is the pixel position (column, row), n_o is 2-D simplex noise of a field's random
lattice hash, δ_o a random offset per call and octave, and σ_n the standard deviation of a
single octave. The octave schedule is AnoDDPM's: the first octave samples pixel coordinates
times ν (its ``frequency=64`` divides them by 64, ν = 2^-6), each next octave doubles the
frequency and multiplies the amplitude by the decay γ (its ``persistence``). With the paper's
ν = 2^-6, N = 6, γ = 0.8 the features run from 64 pixels down to 2 pixels and most energy sits in
the low octaves (amplitude² 1, 0.64, 0.41, ...).

Choices where the paper (and AnoDDPM) is vague, and why:

- **Normalisation: unit variance, mean 0.** Algorithm 1 does not normalise; AnoDDPM adds the
  octaves raw, so its ε has a standard deviation well below 1 and x_t = sqrt(ᾱ_t) x_0 +
  sqrt(1 - ᾱ_t) ε is not variance-preserving as the DDPM schedule assumes. We divide each
  octave by its standard deviation σ_n (a constant of the construction, measured once; the test
  suite checks it) and the sum by sqrt(Σ γ^(2o)), so ε has mean 0 (the random gradients are
  symmetric) and unit variance like DDPM's Gaussian ε, while staying bounded: |ε| <=
  :func:`simplex_bound` (4.26 for the paper's parameters; a Gaussian exceeds that once in
  50 000 draws).
- **2-D simplex (Gustavson's skewed triangular lattice) with 16 unit gradients** rather than
  AnoDDPM's 3-D OpenSimplex sliced at a fixed time: Algorithm 1 draws a fresh seed each step,
  so the slice's third coordinate brings nothing a fresh 2-D field does not; 2-D is cheaper,
  and evenly spaced unit gradients make the field isotropic.
- **A fresh random seed per field** (line 4 of Algorithm 1): each field gets its own random
  permutation table (256 entries) hashing lattice corners to gradients. AnoDDPM re-seeds per
  channel but repeats one field across the batch; we draw per image too, so a batch is i.i.d.
- **Random offsets δ_o in [0, 256) lattice units per call and octave.** Gradient noise is zero
  at lattice corners; without offsets every call and octave would put a corner at pixel (0, 0)
  and the lattice at fixed pixels, a pattern the network could learn. The offsets also
  decorrelate the octaves, which share a field's permutation table. They are shared by the
  fields of one call (the fields differ by their permutations, so their values are
  independent): the lattice geometry (cells, corner offsets, falloffs) is then computed once
  per octave and only the gradient lookup runs per field, which makes the noise several times
  cheaper. AnoDDPM shares even more (one lattice for every channel and step).
- **Determinism.** All randomness (permutations and offsets, a few kB) is drawn from
  ``generator`` on its own device and then moved to ``device``, so a seed gives the same noise
  on CPU and CUDA (up to float rounding).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

_F2 = 0.5 * (math.sqrt(3.0) - 1.0)  # skew: square lattice -> simplex lattice
_G2 = (3.0 - math.sqrt(3.0)) / 6.0  # unskew
_N_GRADIENTS = 16  # unit gradients at multiples of 22.5 degrees
_TABLE = 256  # permutation table size: the lattice hash repeats every 256 cells
# Standard deviation of one octave n_o (falloff radius² 0.5, unit gradients), measured with this
# module over 64 x 64 random 256 x 256 fields (sampling error about 0.1 %); with random offsets it
# does not depend on the frequency. The test suite checks that std(ε) ≈ 1.
_OCTAVE_STD = 0.005436
# Supremum of |n_o|: the three corners' largest gradient terms, maximised over a 2000 x 2000 grid
# of the cell for the 16 gradient directions (0.0100802), rounded up.
_OCTAVE_MAX = 0.01009
_MAX_POINTS = 1 << 22  # pixels per chunk of fields: about 100 MB of temporaries per chunk


def simplex_bound(octaves: int = 6, decay: float = 0.8) -> float:
    """An upper bound of |ε| for :func:`simplex_noise` with these parameters."""
    amps = [decay**o for o in range(octaves)]
    return sum(amps) * _OCTAVE_MAX / _OCTAVE_STD / math.sqrt(sum(a * a for a in amps))


def simplex_noise(
    shape: Sequence[int],
    *,
    frequency: float = 2**-6,
    octaves: int = 6,
    decay: float = 0.8,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Fractal simplex noise ``ε ~ S(ν=frequency, N=octaves, γ=decay)`` of ``shape``.

    shape: ``(..., H, W)``, e.g. ``(B, C, H, W)``; every leading index is an independent field.
    frequency: ν, cycles of the first octave's lattice per pixel (the paper's 2^-6).
    octaves: N; octave o has frequency ν·2^o and amplitude γ^o.
    generator: source of the random seeds (None: torch's global generator).
    Returns ``[..., H, W]`` on ``device`` with mean 0 and unit variance per field in expectation,
    bounded by :func:`simplex_bound`.
    """
    if len(shape) < 2:
        raise ValueError(f"shape needs at least (H, W), got {tuple(shape)}")
    if octaves < 1:
        raise ValueError(f"octaves must be >= 1, got {octaves}")
    if not frequency > 0.0:
        raise ValueError(f"frequency must be > 0, got {frequency}")
    *lead, h, w = (int(s) for s in shape)
    fields = math.prod(lead)
    device = torch.device(device) if device is not None else torch.device("cpu")
    gen_device = generator.device if generator is not None else torch.device("cpu")

    keys = torch.rand(fields, _TABLE, generator=generator, device=gen_device)
    perm = keys.argsort(dim=1).to(device)  # fields, 256: a random permutation per field
    offsets = torch.rand(octaves, 2, generator=generator, device=gen_device, dtype=torch.float64)
    offsets = (offsets * _TABLE).to(device)  # octaves, 2: lattice units, shared by the fields

    # Per field, the gradient of lattice corner (i, j) is G[perm[i] + j]: two tables of the
    # gradient components indexed by perm[i] + j, so a lookup is two gathers.
    angles = (perm & (_N_GRADIENTS - 1)).to(dtype) * (2 * math.pi / _N_GRADIENTS)
    grad_x = torch.cos(angles).repeat(1, 2)  # fields, 512: index (perm[i] + j) needs no wrap
    grad_y = torch.sin(angles).repeat(1, 2)

    amps = [decay**o for o in range(octaves)]
    scale = 1.0 / (_OCTAVE_STD * math.sqrt(sum(a * a for a in amps)))
    geometry = [
        _simplex_geometry(h, w, frequency * 2**o, offsets[o], device, dtype, amp * scale)
        for o, amp in enumerate(amps)
    ]

    out = torch.empty(fields, h * w, device=device, dtype=dtype)
    chunk = max(1, _MAX_POINTS // max(1, h * w))
    for start in range(0, fields, chunk):
        sl = slice(start, min(fields, start + chunk))
        acc = torch.zeros(sl.stop - sl.start, h * w, device=device, dtype=dtype)
        for corners in geometry:  # octaves
            for ci, cj, wx, wy in corners:  # the three simplex corners
                k = perm[sl].index_select(1, ci).add_(cj)  # n, H*W in [0, 512)
                acc.addcmul_(grad_x[sl].gather(1, k), wx).addcmul_(grad_y[sl].gather(1, k), wy)
        out[sl] = acc
    return out.reshape(*lead, h, w)


def _simplex_geometry(
    h: int,
    w: int,
    frequency: float,
    offset: torch.Tensor,
    device: torch.device,
    dtype: torch.dtype,
    gain: float,
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """The field-independent part of one octave of 2-D simplex noise on an H x W pixel grid.

    For each of the three corners of the simplex holding each pixel: its lattice indices
    ``i & 255`` and ``j & 255`` ([H*W] long) and ``gain * falloff * (dx, dy)`` ([H*W] each), so
    that the octave is ``Σ_corners g_x(i, j) * wx + g_y(i, j) * wy`` for a field's gradients g.
    """
    cols = torch.arange(w, device=device, dtype=torch.float64)
    rows = torch.arange(h, device=device, dtype=torch.float64)
    x = (cols[None, :] * frequency + offset[0]).expand(h, w).reshape(-1)  # H*W, float64
    y = (rows[:, None] * frequency + offset[1]).expand(h, w).reshape(-1)
    s = (x + y) * _F2
    i = torch.floor(x + s)
    j = torch.floor(y + s)
    t = (i + j) * _G2
    x0 = (x - (i - t)).to(dtype)  # position relative to the cell's corner (i, j)
    y0 = (y - (j - t)).to(dtype)
    lower = x0 > y0  # lower triangle: the middle corner is (i + 1, j), else (i, j + 1)
    i1 = lower.to(dtype)
    ii = i.long() & (_TABLE - 1)
    jj = j.long() & (_TABLE - 1)
    i1l = lower.long()
    corners = []
    for dx, dy, ci, cj in (
        (x0, y0, ii, jj),
        (x0 - i1 + _G2, y0 - (1.0 - i1) + _G2, ii + i1l, jj + 1 - i1l),
        (x0 - 1.0 + 2.0 * _G2, y0 - 1.0 + 2.0 * _G2, ii + 1, jj + 1),
    ):
        falloff = torch.clamp(0.5 - dx * dx - dy * dy, min=0.0) ** 4 * gain
        corners.append((ci & (_TABLE - 1), cj & (_TABLE - 1), falloff * dx, falloff * dy))
    return corners
