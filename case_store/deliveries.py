"""Messages owed to citizens and handlers, kept in SQL until they are out.

A reply, a knowledge-base answer, a receipt or a progress answer is owed (``owe``) in
the transaction that makes it true, so nothing is promised that a crash can lose. The
outbound sender then takes due messages under a lease (``claim``): the lease holder
sends, and once its lease has passed anyone may take the message over, so a sender that
died mid-send delays a message by one lease, never loses it. Every outcome is an event
on the case ("deliver"), which is the delivery record agents and departments see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from case_store.console import INTAKE_DETAILS_ACTOR
from case_store.errors import CaseNotFoundError
from case_store.models import Caller, Case, CaseEvent, Company, Delivery, Department
from case_store.reply_channel import SMS, VOICE, Route, digits, is_mobile, route_for
from case_store.unit import UnitOfWork
from case_store.views import local

PENDING, SENT, FAILED = "pending", "sent", "failed"
PURPOSES = ("reply", "answer", "receipt", "progress", "closure", "order")
CITIZEN_ANSWERS = ("reply", "answer")  # what a visit asks the citizen about
MAX_TEXT = 1000  # an SMS gateway splits long texts; a spoken reply longer than this drags
ERROR_CHARS = 300


@dataclass(frozen=True)
class DeliveryView:
    id: int
    case_number: str
    purpose: str
    channel: str
    address: str
    text: str
    status: str
    attempts: int
    next_at: datetime
    lease_until: datetime | None
    sent_at: datetime | None
    provider_ref: str | None
    last_error: str | None

    @classmethod
    def of(cls, row: Delivery, number: str) -> DeliveryView:
        return cls(row.id, number, row.purpose, row.channel, row.address, row.text,
                   row.status, row.attempts, local(row.next_at), local(row.lease_until),
                   local(row.sent_at), row.provider_ref, row.last_error)


def _citizen_phone(s: Session, case: Case) -> str:
    return s.scalar(select(Caller.phone).where(Caller.id == case.caller_id)) or ""


def order_message(case: Case, topic_name: str, citizen_phone: str) -> str:
    """A new order as its handler receives it: what, where, whom to contact, by when."""
    where = f"，地点{case.place}" if case.place else ""
    by = ""
    if case.owner_type == "company" and case.contact_due_at is not None:
        by = f"，请于{local(case.contact_due_at):%H:%M}前联系市民"
    return (f"8890派单：工单号{case.number}，{topic_name or case.kind}{where}，"
            f"市民电话{citizen_phone}{by}。详情请登录8890工作台。")


class Deliveries:
    """Owed messages: made by ``owe``, sent under ``claim``'s lease, settled by
    ``sent`` or ``failed``."""

    def __init__(self, uow: UnitOfWork, phone_by_sms: bool = False,
                 topic_names: dict[str, str] | None = None, notify_orders: bool = True) -> None:
        self.uow = uow
        self.phone_by_sms = phone_by_sms  # operator's choice: SMS, not a call, to mobiles
        self.topic_names = topic_names or {}  # what an order says it is about
        self.notify_orders = notify_orders  # handlers hear of new orders, not only see them

    # -- owing -----------------------------------------------------------------------

    def owe(self, s: Session, case: Case, purpose: str, text: str,
            route: Route | None = None) -> Delivery | None:
        """Owe ``text`` to the case's citizen on their channel (or ``route``); None when
        there is no way to reach them, which the case log then says."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown delivery purpose {purpose!r}")
        route = route or self.citizen_route(s, case, purpose)
        if route is None:
            self.uow.event(s, case, "outbound", "deliver",
                           {"purpose": purpose, "failed": True,
                            "error": "no number or account to reach the citizen"})
            return None
        now = self.uow.clock()
        row = Delivery(case_id=case.id, purpose=purpose, channel=route.channel,
                       address=route.address, text=text[:MAX_TEXT], status=PENDING,
                       attempts=0, next_at=now, created_at=now)
        s.add(row)
        s.flush()
        return row

    def owe_order(self, s: Session, case: Case) -> Delivery | None:
        """Tell the case's new handler (a company, a department) of the order, besides
        its portal: an SMS to a mobile duty phone, else a call that reads it. None when
        it has no phone or the operator turned this off."""
        if not self.notify_orders:
            return None
        phone = ""
        if case.owner_type == "company":
            phone = s.scalar(select(Company.phone).where(Company.code == case.owner_code))
        elif case.owner_type == "department":
            phone = s.scalar(select(Department.duty_phone)
                             .where(Department.code == case.owner_code))
        phone = digits(phone or "")
        if not phone:
            return None
        text = order_message(case, self.topic_names.get(case.topic or "", ""),
                             _citizen_phone(s, case))
        return self.owe(s, case, "order", text,
                        Route(SMS if is_mobile(phone) else VOICE, phone))

    def citizen_route(self, s: Session, case: Case, purpose: str) -> Route | None:
        phone = _citizen_phone(s, case)
        wechat_user = ""
        if case.channel == "wechat":
            for data in s.scalars(select(CaseEvent.data).where(
                    CaseEvent.case_id == case.id, CaseEvent.action == "note",
                    CaseEvent.actor == INTAKE_DETAILS_ACTOR)):
                wechat_user = str((data or {}).get("wechat_user") or wechat_user)
        if purpose in ("answer", "progress", "receipt") and is_mobile(digits(phone)) \
                and case.channel != "wechat":
            return Route(SMS, digits(phone))  # text to keep: a mobile gets it in writing
        return route_for(case.channel, phone, wechat_user, phone_by_sms=self.phone_by_sms)

    # -- sending ---------------------------------------------------------------------

    def claim(self, owner: str, lease_s: float, limit: int = 20,
              channels: tuple[str, ...] | None = None) -> list[DeliveryView]:
        """Lease up to ``limit`` due messages to ``owner`` (each claim is one attempt)."""
        now = self.uow.clock()
        until = now + timedelta(seconds=lease_s)
        with self.uow.tx() as s:
            q = (select(Delivery, Case.number).join(Case, Case.id == Delivery.case_id)
                 .where(Delivery.status == PENDING, Delivery.next_at <= now,
                        or_(Delivery.lease_until.is_(None), Delivery.lease_until < now))
                 .order_by(Delivery.next_at, Delivery.id).limit(limit)
                 .with_for_update(skip_locked=True, of=Delivery))
            if channels is not None:
                q = q.where(Delivery.channel.in_(channels))
            out = []
            for row, number in s.execute(q).all():
                row.lease_owner, row.lease_until = owner, until
                row.attempts += 1
                out.append(DeliveryView.of(row, number))
            return out

    def sent(self, delivery_id: int, owner: str | None, ref: str = "") -> bool:
        """The message is out (the gateway took it, the citizen heard it). False when it
        was already settled, or another sender holds it now (its send counts, not ours)."""
        with self.uow.tx() as s:
            row, case = self._locked(s, delivery_id)
            if row.status != PENDING or (owner is not None and row.lease_owner != owner
                                         and not self._lapsed(row)):
                return False
            now = self.uow.clock()
            row.status, row.sent_at, row.provider_ref = SENT, now, ref[:120] or None
            row.lease_owner = row.lease_until = None
            self.uow.event(s, case, "outbound", "deliver",
                           {"delivery": row.id, "purpose": row.purpose,
                            "channel": row.channel, "attempts": row.attempts,
                            "ref": row.provider_ref})
            return True

    def failed(self, delivery_id: int, owner: str | None, error: str,
               retry_after_s: float | None) -> bool:
        """This attempt failed: try again after ``retry_after_s``, or (None) give up and
        say so on the case. False when the message is no longer ours to settle."""
        with self.uow.tx() as s:
            row, case = self._locked(s, delivery_id)
            if row.status != PENDING or (owner is not None and row.lease_owner != owner):
                return False
            row.last_error = error[:ERROR_CHARS]
            row.lease_owner = row.lease_until = None
            if retry_after_s is not None:
                row.next_at = self.uow.clock() + timedelta(seconds=retry_after_s)
                return True
            row.status = FAILED
            fallback = self._fallback(s, row, case)
            self.uow.event(s, case, "outbound", "deliver",
                           {"delivery": row.id, "purpose": row.purpose,
                            "channel": row.channel, "attempts": row.attempts,
                            "failed": True, "error": row.last_error,
                            "fallback": fallback.channel if fallback else None})
            return True

    def _fallback(self, s: Session, row: Delivery, case: Case) -> Delivery | None:
        """The same message on the next channel (WeChat -> SMS -> a call; a call -> SMS),
        once per channel: WeChat refuses writing to a user silent for 48 hours, a
        number that never answers may still read an SMS."""
        phone = digits(_citizen_phone(s, case))
        tried = set(s.scalars(select(Delivery.channel).where(
            Delivery.case_id == case.id, Delivery.purpose == row.purpose,
            Delivery.text == row.text)))
        order = [SMS] if is_mobile(phone) else []
        order.append(VOICE)
        for channel in order:
            if channel not in tried and phone:
                return self.owe(s, case, row.purpose, row.text, Route(channel, phone))
        return None

    def _locked(self, s: Session, delivery_id: int) -> tuple[Delivery, Case]:
        row = s.scalar(select(Delivery).where(Delivery.id == delivery_id).with_for_update())
        if row is None:
            raise CaseNotFoundError(f"no delivery {delivery_id}")
        return row, s.get(Case, row.case_id)

    def _lapsed(self, row: Delivery) -> bool:
        return row.lease_until is None or row.lease_until < self.uow.clock()

    # -- reading ---------------------------------------------------------------------

    def for_case(self, number: str) -> list[DeliveryView]:
        """The case's messages, oldest first."""
        with self.uow.read() as s:
            rows = s.execute(select(Delivery, Case.number)
                             .join(Case, Case.id == Delivery.case_id)
                             .where(Case.number == str(number))
                             .order_by(Delivery.id)).all()
            return [DeliveryView.of(r, n) for r, n in rows]

    def get(self, delivery_id: int) -> DeliveryView:
        with self.uow.read() as s:
            found = s.execute(select(Delivery, Case.number)
                              .join(Case, Case.id == Delivery.case_id)
                              .where(Delivery.id == delivery_id)).first()
            if found is None:
                raise CaseNotFoundError(f"no delivery {delivery_id}")
            return DeliveryView.of(*found)

    def release(self, owner: str) -> int:
        """A stopping sender hands back what it holds, so others need not wait its lease
        out (a message heard meanwhile is already settled and stays so)."""
        with self.uow.tx() as s:
            result = s.execute(update(Delivery).where(Delivery.lease_owner == owner,
                                                      Delivery.status == PENDING)
                               .values(lease_owner=None, lease_until=None))
            return result.rowcount or 0
