import math

from acd.erlang import agents_needed, erlang_c


def test_seed_load_matches_the_design_figures():
    seed = erlang_c(105, 240, 10, 15)
    assert math.isclose(seed.offered_erlang, 7.0)
    assert round(seed.prob_wait, 2) == 0.22
    assert round(seed.service_level, 3) == 0.816
    assert round(seed.asa_s, 1) == 17.7


def test_overload_cannot_be_carried():
    over = erlang_c(157.5, 240, 10, 15)
    assert over.prob_wait == 1.0 and over.service_level == 0.0


def test_staffing_estimate_grows_with_the_goal():
    assert agents_needed(105, 240, 15, 0.8) == 10
    assert agents_needed(105, 240, 15, 0.95) > 10
