"""Mask2Former-style detector/localizer: CPU seconds per 512² window.

Figures (issue: Mask2Former model): for each ``m2f-*`` variant, fp32, batch 1, eval mode under
``torch.inference_mode``, after two warm-up passes, the median of five ``forward`` calls on a
512 x 512 input, and the same for the backbone alone (the floor any head adds to).
Target: ``m2f-swin-t`` <= 1.0 s per 512² image.

Two figures per model: wall seconds with torch's default threads (what a user waits), and
CPU seconds of the process with one thread (``time.process_time``), which other processes on
a shared machine barely disturb. The 1-minute load average before and after is recorded: wall
figures taken at a load above the core count are upper bounds.
"""

from __future__ import annotations

import time

import torch

from bench.timing import median_seconds, network_run, single_thread_seconds
from engine.models import create_model

SIZE = 512
VARIANTS = ("m2f-swin-t", "m2f-swin-s", "m2f-swin-t-compact", "m2f-swin-nano", "m2f-effl0")
TARGET_S = {"m2f-swin-t": 1.0}


def measure(name: str) -> dict:
    torch.manual_seed(0)
    model = create_model(name).eval()
    x = torch.randn(1, 3, SIZE, SIZE)
    whole = median_seconds(lambda: model(x), time.perf_counter)
    backbone = median_seconds(lambda: model.backbone(x), time.perf_counter)
    cpu_whole = single_thread_seconds(lambda: model(x), time.process_time)
    cpu_backbone = single_thread_seconds(lambda: model.backbone(x), time.process_time)
    row = {
        "model": name,
        "params_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 1),
        "seconds": round(whole, 3),
        "backbone_seconds": round(backbone, 3),
        "head_seconds": round(whole - backbone, 3),
        "cpu_seconds_1_thread": round(cpu_whole, 3),
        "cpu_backbone_seconds_1_thread": round(cpu_backbone, 3),
    }
    if name in TARGET_S:
        row["target_s"] = TARGET_S[name]
        row["meets_target"] = whole <= TARGET_S[name]
    return row


def run() -> dict:
    with network_run(SIZE) as figures:
        print(
            f"{'model':<20}{'params M':>9}{'wall s':>8}{'backbone':>10}{'head':>7}"
            f"{'1-thread CPU s':>16}{'backbone':>10}"
        )
        rows = figures["rows"] = []
        for name in VARIANTS:
            row = measure(name)
            rows.append(row)
            flag = ""
            if "target_s" in row:
                flag = "  (target <= {:.1f} s: {})".format(
                    row["target_s"], "met" if row["meets_target"] else "MISSED"
                )
            print(
                f"{name:<20}{row['params_m']:>9}{row['seconds']:>8.3f}"
                f"{row['backbone_seconds']:>10.3f}{row['head_seconds']:>7.3f}"
                f"{row['cpu_seconds_1_thread']:>16.3f}{row['cpu_backbone_seconds_1_thread']:>10.3f}"
                f"{flag}",
                flush=True,
            )
    return figures


if __name__ == "__main__":
    run()
