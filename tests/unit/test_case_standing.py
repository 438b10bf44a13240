"""Pure rules behind automatic penalties and duplicate merging: standing changes, place
keys, and the operator's policy read from the config."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from case_store.places import place_key
from case_store.policy import CasePolicy
from case_store.scores import PenaltyRules, penalty_for
from case_store.standing import judge
from hotline.config import Config, ConfigError, load_config

NOW = datetime(2025, 10, 9, 2, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


@pytest.mark.parametrize("dispatched, on_time, complaints, penalty", [
    (4, 0.0, 9, None),  # too few orders to judge
    (5, 1.0, 0, None),
    (5, 0.8, 0, "yellow_card"),
    (5, 1.0, 2, "yellow_card"),
    (5, 0.75, 0, "order_suspension"),
    (5, 1.0, 5, "termination_proposal"),
    (5, 0.5, 0, "termination_proposal"),
])
def test_penalty_thresholds(dispatched, on_time, complaints, penalty):
    assert penalty_for(dispatched, on_time, complaints, PenaltyRules()) == penalty


def test_penalties_only_make_the_standing_worse():
    suspended = judge("yellow_card", "order_suspension", NOW, WEEK)
    assert (suspended.to, suspended.suspended_until) == ("suspended", NOW + WEEK)
    assert judge("suspended", "yellow_card", NOW, WEEK) is None
    assert judge("suspended", "order_suspension", NOW, WEEK) is None  # not extended again
    assert judge("active", None, NOW, WEEK) is None
    proposed = judge("suspended", "termination_proposal", NOW, WEEK)
    assert (proposed.to, proposed.suspended_until) == ("term_proposed", None)
    assert judge("terminated", "termination_proposal", NOW, WEEK) is None


def test_place_keys_ignore_width_case_spacing_and_punctuation_only():
    assert place_key(" 宾虹路１２８号 ") == place_key("宾虹路128号") == "宾虹路128号"
    assert place_key("Jinhua Rd. 12") == place_key("jinhua rd12")
    assert place_key("宾虹路128号楼") != place_key("宾虹路128号")
    assert place_key("") is None and place_key(None) is None and place_key("，。") is None


def test_policy_from_config_and_environment():
    cfg = load_config(env={"HOTLINE_CASES_MERGE_WINDOW_H": "6",
                           "HOTLINE_PENALTY_MIN_ORDERS": "10",
                           "HOTLINE_PENALTY_SUSPEND_ON_TIME": "0.7",
                           "HOTLINE_AMI_SECRET": "x", "HOTLINE_SIP_SECRET": "y"})
    policy = CasePolicy.from_config(cfg)
    assert policy.merge_window == timedelta(hours=6)
    assert policy.penalties.min_orders == 10 and policy.penalties.suspend_on_time == 0.7
    assert policy.suspension == WEEK
    assert CasePolicy.from_config(Config()) == CasePolicy()  # defaults agree


def test_bad_policy_values_are_refused_clearly():
    with pytest.raises(ConfigError, match="penalty_min_orders"):
        load_config(env={"HOTLINE_PENALTY_MIN_ORDERS": "many",
                         "HOTLINE_AMI_SECRET": "x", "HOTLINE_SIP_SECRET": "y"})
    with pytest.raises(ValueError, match="merge_window"):
        CasePolicy.from_config(replace(Config(), cases_merge_window_h=-1))
    with pytest.raises(ValueError, match="suspend_on_time"):
        CasePolicy.from_config(replace(Config(), penalty_suspend_on_time=1.5))
    with pytest.raises(ValueError, match="leader_days"):
        CasePolicy.from_config(replace(Config(), cases_leader_days=0))


def test_the_operator_names_where_out_of_jurisdiction_requests_are_referred():
    cfg = load_config(env={"HOTLINE_CASES_REFERRALS": "浙江省12345政务服务热线, 人民法院,",
                           "HOTLINE_CASES_LEADER_DAYS": "3",
                           "HOTLINE_AMI_SECRET": "x", "HOTLINE_SIP_SECRET": "y"})
    policy = CasePolicy.from_config(cfg)
    assert policy.referrals == ("浙江省12345政务服务热线", "人民法院")
    assert policy.leader_days == 3
    assert "浙江省12345政务服务热线" in CasePolicy.from_config(Config()).referrals
