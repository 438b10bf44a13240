import pytest

from testkit.bench.intervals import interval, paired_difference, t975


def test_an_interval_is_the_mean_plus_minus_t_times_the_standard_error():
    got = interval([0.6, 0.7, 0.8])
    assert got.mean == pytest.approx(0.7)
    assert got.low == pytest.approx(0.7 - 4.303 * 0.1 / 3 ** 0.5)
    assert got.high == pytest.approx(0.7 + 4.303 * 0.1 / 3 ** 0.5)
    assert got.excludes_zero and got.n == 3


def test_missing_values_are_left_out_and_one_value_has_no_bounds():
    assert interval([None, None]) is None
    single = interval([None, 5.0])
    assert (single.mean, single.low, single.high, single.n) == (5.0, None, None, 1)
    assert not single.excludes_zero


def test_pairing_removes_the_shared_noise_of_a_replication():
    hotline = [0.60, 0.90, 0.70, 0.80]  # replications differ a lot
    queue = [0.55, 0.85, 0.65, 0.74]  # but the hotline is ahead in each by about 0.05
    assert paired_difference(hotline, queue).excludes_zero
    assert not interval(hotline).low > interval(queue).high  # unpaired, they overlap
    assert paired_difference([1.0, None], [0.5, 0.4]).n == 1


def test_t_quantiles_fall_back_to_the_next_smaller_table_row():
    assert t975(11) == t975(10) == 2.228
    assert t975(1000) == 1.96
    with pytest.raises(ValueError):
        t975(0)
