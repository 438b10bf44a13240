"""The oversight parts of a case page: the leader's instruction (领导批办), each
department's part of a joint case (商办会办) and the case's supervision notices, and the
forms and handling of the actions that go with them.

``portals`` shows these on every case page and hands these actions here; who may press
which button is decided by ``case_store.access`` before any of this runs.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from aiohttp import web

from case_store.views import CaseView, EventView, NoticeView
from case_store.workdays import SHANGHAI
from hotline.web import csrf
from hotline.web.context import ctx
from hotline.web.html import Safe, h, join, options, table
from hotline.web.i18n import Words

ACTIONS = frozenset({"mark_for_leader", "instruct", "add_cohandler", "finding", "supervise",
                     "close_out_of_jurisdiction"})
MAX_TEXT = 2000


def _when(moment: datetime | str | None) -> str:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return "" if moment is None else moment.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def _on_time(w: Words, event: EventView | None) -> str:
    return "" if event is None else (w.on_time if event.data.get("on_time") else w.late)


def sections(case: CaseView, events: list[EventView], notices: list[NoticeView],
             names: dict[str, str], w: Words) -> Safe:
    """The leader's instructions, the joint parts and the notices, where there are any."""
    parts = []
    if case.leader and case.leader_instructed_at is None:
        parts.append(h('<p class="card waiting" id="leader-waiting">{}: {}</p>',
                       w.waiting_for_leader, case.leader))
    for e in events:
        if e.action == "instruct":
            parts.append(h('<div class="card instruction" id="instruction"><h2>{}</h2>'
                           '<p class="case-text">{}</p><p>{} · {} · {} {}</p></div>',
                           w.instruction, e.data.get("instruction"), e.data.get("leader"),
                           _when(e.at), w.due_after, _when(e.data.get("due_at"))))
    if case.cohandlers:
        parts.append(h('<h2>{}</h2><div id="joint">{}</div>', w.joint,
                       _joint_table(case, events, names, w)))
    if notices:
        parts.append(h('<h2>{}</h2><div id="notices">{}</div>', w.notices,
                       notice_table(notices, names, w)))
    return join(parts)


def _joint_table(case: CaseView, events: list[EventView], names: dict[str, str],
                 w: Words) -> Safe:
    """One row per department: the lead's joint reply, each co-handler's findings."""
    replies = [e for e in events if e.action == "reply"]
    lead = replies[-1] if replies else None
    rows = [[names.get(case.owner or "", case.owner or ""), w.lead_dept,
             lead.data.get("reply") if lead else w.no_part_yet,
             _when(lead.at) if lead else "", _on_time(w, lead)]]
    for dept in case.cohandlers:
        found = [e for e in events if e.action == "finding" and e.data.get("owner") == dept]
        rows.append([names.get(dept, dept), w.cohandler,
                     "\n".join(e.data.get("finding", "") for e in found) or w.no_part_yet,
                     _when(found[-1].at) if found else "",
                     _on_time(w, found[0] if found else None)])
    return table([w.department, "", w.part, w.at, w.due], rows)


def notice_table(notices: list[NoticeView], names: dict[str, str], w: Words) -> Safe:
    """Notices with their state; the number opens the printable page."""
    return table([w.notice_no, w.case_no, w.department, w.reason, w.due, w.issued_at,
                  w.status_word], [
        [h('<a href="/notice/{}">{}</a>', n.number, n.number),
         h('<a href="/case/{}">{}</a>', n.case_number, n.case_number),
         names.get(n.owner or "", n.owner or ""), n.reason, _when(n.due_at),
         _when(n.issued_at),
         h("{} {}", w.acknowledged, _when(n.acknowledged_at)) if n.acknowledged_at
         else w.not_acknowledged] for n in notices],
        ["" if n.acknowledged_at else "near" for n in notices])


def reply_draft(case: CaseView, events: list[EventView], names: dict[str, str],
                w: Words) -> str:
    """The lead's joint reply starts from the co-handlers' findings, so it includes them."""
    found = [e for e in events if e.action == "finding"]
    if not case.cohandlers or not found:
        return ""
    lines = [f"{names.get(e.data.get('owner', ''), e.data.get('owner', ''))}："
             f"{e.data.get('finding', '')}" for e in found]
    return "\n".join([w.findings_heading, *lines, ""])


async def choices(request: web.Request, actions: list[str]) -> dict[str, Any]:
    """What the forms offer: leader accounts, departments, referrals (only those needed)."""
    c = ctx(request)
    out: dict[str, Any] = {}
    if "mark_for_leader" in actions:
        users = await asyncio.to_thread(c.accounts.list_users)
        out["leaders"] = [u.name for u in users if u.role == "leader" and u.state == "active"]
    if "add_cohandler" in actions:
        out["departments"] = await asyncio.to_thread(c.store.department_names)
    if "close_out_of_jurisdiction" in actions:
        out["referrals"] = c.store.policy.referrals
    return out


def form(request: web.Request, case: CaseView, action: str, w: Words,
         offered: dict[str, Any]) -> Safe:
    """The form for one oversight action."""
    target, token = h("/case/{}/{}", case.number, action), csrf.field(request)
    if action == "mark_for_leader":
        leaders = offered.get("leaders", [])
        if not leaders:
            return Safe("")
        fields = h('<label>{}<select name="leader" required>{}</select></label>'
                   '<label>{}<input name="note" maxlength="{}"></label>', w.leader,
                   options(((n, n) for n in leaders), None), w.mark_note, MAX_TEXT)
    elif action == "instruct":
        fields = h('<label>{}<textarea name="instruction" required maxlength="{}" rows="3">'
                   "</textarea></label>", w.instruction, MAX_TEXT)
    elif action == "finding":
        fields = h('<label>{}<textarea name="finding" required maxlength="{}" rows="3">'
                   "</textarea></label>", w.finding_text, MAX_TEXT)
    elif action == "add_cohandler":
        depts = offered.get("departments", {})
        fields = h('<label>{}<select name="dept" required>{}</select></label>', w.cohandler,
                   options(((code, name) for code, name in depts.items()
                            if code != case.owner and code not in case.cohandlers), None))
    elif action == "supervise":
        fields = h('<label>{}<input name="reason" maxlength="500" required></label>',
                   w.reason)
    else:  # close_out_of_jurisdiction
        referrals = offered.get("referrals", ())
        fields = h('<label>{}<input name="reason" maxlength="500" required></label>'
                   '<label>{}<select name="referral" required>{}</select></label>'
                   '<label>{}<input name="detail" maxlength="500"></label>', w.reason,
                   w.referral, options(((r, r) for r in referrals), None),
                   w.referral_detail)
    return h('<form method="post" action="{}" class="card">{}{}'
             '<button type="submit" id="do-{}">{}</button></form>',
             target, token, fields, action, w(action))


def _text(form_data: dict[str, str], name: str, what: str, required: bool = True) -> str:
    value = str(form_data.get(name, "")).strip()
    if required and not value:
        raise web.HTTPBadRequest(text=f"give the {what}")
    if len(value) > MAX_TEXT:
        raise web.HTTPBadRequest(text=f"the {what} is longer than {MAX_TEXT} characters")
    return value


async def perform(request: web.Request, case: CaseView, action: str,
                  form_data: dict[str, str], session: dict, actor: str) -> None:
    """Carry out an oversight action the user may take (``access.actions`` said so)."""
    store = ctx(request).store
    data: dict[str, str]
    if action == "mark_for_leader":
        data = {"leader": _text(form_data, "leader", "leader")[:64],
                "note": _text(form_data, "note", "note", required=False)}
    elif action == "instruct":
        data = {"leader": session["name"],
                "instruction": _text(form_data, "instruction", "instruction")}
    elif action == "finding":
        data = {"dept": session["dept"], "finding": _text(form_data, "finding", "finding")}
    elif action == "add_cohandler":
        data = {"dept": _text(form_data, "dept", "department")[:64]}
    elif action == "supervise":
        data = {"reason": _text(form_data, "reason", "reason")}
    else:  # close_out_of_jurisdiction
        data = {"reason": _text(form_data, "reason", "reason"),
                "referral": _text(form_data, "referral", "referral"),
                "detail": _text(form_data, "detail", "detail", required=False)}
    await asyncio.to_thread(store.transition, case.number, action, actor, **data)
