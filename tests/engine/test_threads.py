"""engine.threads: one core group per worker, a replaced worker's group reused; a block at
another PyTorch thread count."""

from __future__ import annotations

import os

import pytest

from engine.threads import available_cores, core_slots, free_slot, pin_process, torch_threads


def test_core_slots_split_the_cores_in_order_when_the_threads_fit():
    assert core_slots([0, 1], 2, 1) == [(0,), (1,)]
    assert core_slots([2, 3, 5, 7], 2, 2) == [(2, 3), (5, 7)]
    assert core_slots([0, 1, 2], 1, 2) == [(0, 1)]  # a core left over stays free


def test_core_slots_refuse_to_stack_workers():
    assert core_slots([0, 1], 3, 1) is None
    assert core_slots([0, 1], 2, 2) is None
    with pytest.raises(ValueError, match="jobs=0"):
        core_slots([0, 1], 0, 1)


def test_free_slot_skips_the_slots_live_workers_hold():
    slots = [(0,), (1,), (2,)]
    assert free_slot(slots, [(0,), None]) == (1,)
    assert free_slot(slots, [(1,), (0,)]) == (2,)
    assert free_slot(slots, [(0,), (1,), (2,)]) is None
    assert free_slot(slots, []) == (0,)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no affinity call here")
def test_pin_process_restricts_this_process_and_is_undone():
    before = available_cores()
    try:
        assert pin_process(before[-1:])
        assert available_cores() == before[-1:]
    finally:
        os.sched_setaffinity(0, set(before))
    assert available_cores() == before


def test_torch_threads_sets_the_count_inside_and_restores_it_after_an_error():
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with torch_threads(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
        with pytest.raises(RuntimeError, match="inside"), torch_threads(1):
            raise RuntimeError("inside")
        assert torch.get_num_threads() == 2  # restored when the block fails too
        with pytest.raises(ValueError, match="got 0"), torch_threads(0):
            pass
    finally:
        torch.set_num_threads(before)
