"""The operator's knobs for automatic decisions: penalty thresholds, suspension length,
the duplicate-merging window, how soon a leader's instruction makes a case due, and where
out-of-jurisdiction requests are referred. Read from the ``[penalty]`` and ``[cases]`` config
sections (``CasePolicy.from_config``); the defaults suit one city's hotline."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

from case_store.scores import PenaltyRules

# 集中销案: where a request the city may not handle belongs (operator: [cases] referrals)
REFERRALS = ("浙江省12345政务服务热线", "人民法院", "公安机关110", "其他城市12345热线",
             "国家部委信访渠道")


@dataclass(frozen=True)
class CasePolicy:
    """Penalty rules and windows; a negative window or threshold is refused."""

    penalties: PenaltyRules = field(default_factory=PenaltyRules)
    penalty_window: timedelta = timedelta(days=30)  # figures count events this recent
    suspension: timedelta = timedelta(days=7)  # how long an order suspension lasts
    merge_window: timedelta = timedelta(hours=24)  # same place and topic: one case
    reply_phone_by_sms: bool = False  # a phone caller's reply by SMS, not by a call
    notify_orders: bool = True  # departments and companies told of new orders by phone
    leader_days: int = 2  # a leader's instruction: due within this many working days at most
    referrals: tuple[str, ...] = REFERRALS  # where an out-of-jurisdiction request is sent

    def __post_init__(self) -> None:
        for name in ("penalty_window", "suspension", "merge_window"):
            if getattr(self, name) < timedelta(0):
                raise ValueError(f"case policy: {name} may not be negative")
        if self.leader_days < 1:
            raise ValueError("case policy: leader_days must be at least one working day")
        for f in fields(PenaltyRules):
            value = getattr(self.penalties, f.name)
            if value < 0 or (isinstance(value, float) and value > 1):
                raise ValueError(f"case policy: penalty {f.name}={value} is out of range")

    @classmethod
    def from_config(cls, cfg: Any) -> CasePolicy:
        """From ``hotline.config.Config`` (``penalty_*`` and ``cases_*`` fields)."""
        rules = PenaltyRules(**{
            f.name: (int if f.type == "int" else float)(getattr(cfg, f"penalty_{f.name}"))
            for f in fields(PenaltyRules)})
        return cls(penalties=rules,
                   penalty_window=timedelta(days=float(cfg.penalty_window_days)),
                   suspension=timedelta(days=float(cfg.penalty_suspension_days)),
                   merge_window=timedelta(hours=float(cfg.cases_merge_window_h)),
                   reply_phone_by_sms=bool(cfg.outbound_phone_by_sms),
                   notify_orders=bool(cfg.outbound_notify_orders),
                   leader_days=int(cfg.cases_leader_days),
                   referrals=tuple(r.strip() for r in str(cfg.cases_referrals).split(",")
                                   if r.strip()) or REFERRALS)
