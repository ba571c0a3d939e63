"""forensic_viewer.wording.policy_text: how a model saw the evidence, as panels and reports say."""

from __future__ import annotations

from forensic_viewer.wording import policy_text


def test_a_reduced_detection_view_is_named_after_the_tiling() -> None:
    fast = {"mode": "window", "tiling": "overlap-crop", "tile": 256, "margin": 16, "window": 256}
    assert policy_text(fast) == "fast path: tiles 256 cropped by 16 (trained window 256)"
    viewed = {**fast, "runtime": "openvino", "detect_size": [340, 512]}
    assert policy_text(viewed) == (
        "fast path: tiles 256 cropped by 16 (trained window 256, openvino); "
        "image score from the image reduced to 512 x 340"
    )
    assert policy_text({"members": ["a", "b"]}) == "members a, b"
    assert policy_text({"mode": "window", "detect_size": "junk"}).endswith("stride None")


def test_the_cpu_threads_pytorch_ran_on_are_said_and_rows_without_them_read_as_before() -> None:
    exact = {"mode": "window", "tiling": "sliding", "window": 64, "stride": 32}
    assert policy_text(exact) == "exact path: sliding window 64, stride 32"
    assert policy_text({**exact, "threads": 2}) == (
        "exact path: sliding window 64, stride 32; PyTorch on 2 CPU threads"
    )
    resized = {"mode": "resize", "size": [64, 32], "threads": 1}
    assert policy_text(resized) == "whole image resized to fit 64 x 32; PyTorch on 1 CPU thread"
