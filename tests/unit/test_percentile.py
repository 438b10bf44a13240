"""The project's one percentile definition (acd.percentile): nearest rank."""

from __future__ import annotations

import pytest

from acd.percentile import percentile


def test_one_to_a_hundred_gives_the_rank_itself():
    samples = list(range(1, 101))
    assert percentile(samples, 0.50) == 50
    assert percentile(samples, 0.95) == 95
    assert percentile(samples, 0.99) == 99
    assert percentile(samples, 1.0) == 100
    assert percentile(samples, 0.0) == 1  # rank 1: the smallest


def test_a_small_list_takes_the_value_at_rank_ceil_q_n_in_any_input_order():
    assert percentile([3, 1, 2], 0.5) == 2  # ceil(1.5) = rank 2
    assert percentile([40, 10, 30, 20], 0.5) == 20  # ceil(2.0) = rank 2, no interpolation
    assert percentile([40, 10, 30, 20], 0.51) == 30
    assert percentile([40, 10, 30, 20], 0.99) == 40
    assert percentile([5], 0.99) == 5
    assert percentile((x for x in (3.5, 1.5, 2.5)), 0.5) == 2.5  # any iterable


def test_binary_fractions_do_not_shift_the_rank():
    assert percentile(range(1, 101), 0.07) == 7  # 0.07 * 100 is 7.000000000000001


def test_no_samples_have_no_percentile():
    assert percentile([], 0.5) is None
    assert percentile(iter(()), 0.99) is None


@pytest.mark.parametrize("q", [-0.1, 1.5, 99])
def test_q_is_a_fraction(q):
    with pytest.raises(ValueError):
        percentile([1, 2, 3], q)
