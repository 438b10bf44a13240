"""Routing a received case by its rule (``case_store.routing.rule_for``): answer it from
the knowledge base, forward praise, dispatch a life case to a company, or assign it to a
department. The routing worker calls it for every message on the routing stream."""

from __future__ import annotations

from case_store import knowledge, lifecycle
from case_store.assignment import Assignment
from case_store.deliveries import Deliveries
from case_store.dispatcher import Dispatcher
from case_store.followup import FollowUpVisits
from case_store.reads import kb_entries
from case_store.routing import rule_for
from case_store.service_catalog import Catalog
from case_store.unit import UnitOfWork
from case_store.views import CaseView


def answer_message(number: str, answer: str) -> str:
    """A consultation answered from the knowledge base, as the citizen receives it."""
    return f"您好，您咨询的问题（工单号{number}）答复如下：{answer}【8890】"


class Router:
    """Applies a received case's rule, once."""

    def __init__(self, uow: UnitOfWork, catalog: Catalog, assignment: Assignment,
                 dispatcher: Dispatcher, deliveries: Deliveries,
                 followups: FollowUpVisits) -> None:
        self.uow = uow
        self.deliveries = deliveries
        self.followups = followups
        self.catalog = catalog
        self.assignment = assignment
        self.dispatcher = dispatcher

    def route(self, number: str, actor: str = "router") -> CaseView:
        """Apply the case's rule. Idempotent: a case already routed is returned unchanged,
        so a redelivered stream message does no harm."""
        with self.uow.tx() as s:
            case = self.uow.load(s, number, lock=True)
            if case.status != lifecycle.RECEIVED:
                return self.uow.view(s, case)
            now = self.uow.clock()
            rule = rule_for(self.catalog, case.kind, case.topic)
            if rule.name == "forward":
                self.uow.event(s, case, actor, "forward", {"forwarded_to": rule.dept})
                case.owner_type, case.owner_code = "department", rule.dept
                self.followups.for_answer(s, case, now)
            elif rule.name == "emergency":
                self.assignment.emergency(s, case, now)
            elif rule.name == "kb":
                hit = knowledge.best(kb_entries(s), case.text, case.topic)
                if hit is not None:
                    case.owner_type, case.owner_code = "kb", str(hit.entry.id)
                    case.answer_entry_id = hit.entry.id
                    self.uow.event(s, case, actor, "answer",
                                   {"entry": hit.entry.id, "score": hit.score})
                    self.deliveries.owe(s, case, "answer", answer_message(
                        case.number, hit.entry.answer))
                    self.followups.for_answer(s, case, now)
                else:
                    self.assignment.department(s, case, rule.dept, actor, now,
                                               "no KB answer")
            elif rule.name == "company":
                self.dispatcher.dispatch(s, case, rule.trade or "", actor, now)
            else:
                self.assignment.department(s, case, rule.dept, actor, now,
                                           f"{case.kind} rule")
            return self.uow.view(s, case)
