"""Words of the console in Chinese (default) and English; the `hl_lang` cookie chooses."""

from __future__ import annotations

from aiohttp import web

LANGS = ("zh", "en")

_WORDS: dict[str, tuple[str, str]] = {
    "app": ("8890 热线", "8890 Hotline"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_failed": ("用户名或密码错误", "Wrong user name or password"),
    "login_throttled": ("登录失败次数过多，请稍后再试", "Too many failed logins; try later"),
    "wallboard": ("监控大屏", "Wallboard"),
    "desk": ("座席工作台", "Agent desk"),
    "to_check": ("待核实回拨号码", "Callback numbers to check"),
    "to_check_none": ("没有待核实的号码", "No number to check"),
    "keyed_number": ("来电人输入的号码", "Number the caller keyed"),
    "call_back_on": ("核实后回拨", "Confirm and call back"),
    "dept_portal": ("部门工单", "Department cases"),
    "company_portal": ("企业工单", "Company orders"),
    "report": ("在线反映", "Report online"),
    "status": ("系统状态", "System status"),
    "waiting": ("排队中", "Waiting"),
    "longest_wait": ("最长等待", "Longest wait"),
    "service_level": ("服务水平", "Service level"),
    "three_rings_today": ("今日三声内接听", "Answered in 3 rings today"),
    "three_rings_hour": ("本小时三声内接听", "Answered in 3 rings this hour"),
    "asa": ("平均应答", "ASA"),
    "aht": ("平均处理", "AHT"),
    "abandoned": ("放弃", "Abandoned"),
    "offered": ("呼入", "Offered"),
    "callbacks": ("回拨", "Callbacks"),
    "cb_pending": ("待回拨", "pending"),
    "cb_due": ("一分钟内到期", "due in 1 min"),
    "cb_overdue": ("已超时", "overdue"),
    "spool": ("待写入案件库", "Waiting for the database"),
    "spool_stuck": ("未写入，请检查数据库", "not draining: check the database"),
    "elderly": ("老人来电通话中", "Elderly calls in progress"),
    "seats": ("座席", "Seats"),
    "seat": ("座席", "Seat"),
    "state": ("状态", "State"),
    "since": ("持续", "For"),
    "name": ("姓名", "Name"),
    "calls": ("接听数", "Calls"),
    "actions": ("操作", "Actions"),
    "pause": ("示忙", "Pause"),
    "resume": ("示闲", "Resume"),
    "listen": ("监听", "Listen"),
    "whisper": ("耳语", "Whisper"),
    "barge": ("强插", "Barge"),
    "move_up": ("提前", "Move up"),
    "emergency": ("老人紧急求助", "Elderly emergency"),
    "acknowledge": ("确认", "Acknowledge"),
    "erlang": ("Erlang C 估算", "Erlang C estimate"),
    "agents_needed": ("所需座席", "Agents needed"),
    "predicted_sl": ("预测服务水平", "Predicted service level"),
    "arrival_rate": ("来电速率(次/时)", "Arrivals per hour"),
    "chart": ("近8小时 每15分钟来电与服务水平", "Last 8 h: calls per 15 min, service level"),
    "cases_today": ("今日工单", "Cases today"),
    "cases_open": ("未办结", "Open"),
    "cases_overdue": ("超期", "Overdue"),
    "case": ("工单", "Case"),
    "case_no": ("工单号", "Case no."),
    "kind": ("类型", "Kind"),
    "topic": ("事项", "Topic"),
    "place": ("地点", "Place"),
    "text": ("内容", "Request"),
    "caller": ("来电人", "Caller"),
    "phone": ("电话", "Phone"),
    "due": ("期限", "Due"),
    "received": ("受理时间", "Received"),
    "history": ("办理记录", "History"),
    "accept": ("签收", "Accept"),
    "note": ("记录处置", "Note what was done"),
    "note_more": ("补充说明", "More"),
    "centre_portal": ("养老服务中心", "Elderly centre"),
    "centre_open": ("未办结的紧急求助", "Open emergencies"),
    "centre_figures": ("当日", "Day"),
    "centre_figure": ("指标", "Figure"),
    "centre_today": ("今日紧急求助", "Emergencies today"),
    "centre_unacknowledged": ("未确认", "Not yet acknowledged"),
    "centre_alarms": ("大屏告警", "Wallboard alarms"),
    "centre_terminals": ("登记终端", "Registered terminals"),
    "centre_offline": ("离线终端", "Terminals offline"),
    "centre_first_voice": ("老人来电到第一声人声", "Terminal call to the first human voice"),
    "centre_first_voice_by": ("第一声人声来自", "First voice from"),
    "centre_contact": ("家属", "family"),
    "centre_agent": ("话务员", "agent"),
    "centre_checkins": ("关爱回访 接通 / 升级", "Check-ins answered / escalated"),
    "centre_care_open": ("服务计划工单(未办结)", "Care-plan cases open"),
    "centre_report": ("下载当日报表 (CSV)", "Day's report (CSV)"),
    "centre_offline_for": ("已离线", "Offline for"),
    "offline_days": ("天", "days"),
    "offline_hours": ("小时", "hours"),
    "offline_minutes": ("分钟", "minutes"),
    "start": ("开始办理", "Start"),
    "reply": ("答复", "Reply"),
    "reply_text": ("答复内容", "Reply text"),
    "extension": ("申请延期", "Request extension"),
    "days": ("工作日", "working days"),
    "reason": ("理由", "Reason"),
    "confirm_contact": ("确认已联系", "Confirm contact"),
    "complete": ("确认完成", "Confirm completion"),
    "submit": ("提交", "Submit"),
    "no_cases": ("暂无工单", "No cases"),
    "overdue": ("已超期", "Overdue"),
    "near_due": ("即将到期", "Due soon"),
    "done_ok": ("已提交", "Done"),
    "status_word": ("状态", "Status"),
    "owner": ("承办单位", "Handler"),
    "earlier_cases": ("历史工单", "Earlier cases"),
    "transcript": ("录音转写", "Transcript"),
    "tags": ("自动分类", "Tagger"),
    "confidence": ("置信度", "Confidence"),
    "kb": ("知识库", "Knowledge base"),
    "search": ("搜索", "Search"),
    "save_case": ("保存工单", "Save case"),
    "dispatch": ("派单", "Dispatch"),
    "transfer": ("转接", "Transfer"),
    "transfer_to": ("转接至", "Transfer to"),
    "transferred": ("已转接至", "Transferred to"),
    "partners": ("合作企业", "Partner companies"),
    "corrected": ("已更正", "Corrected"),
    "learned": ("分类已学习", "Tagger learned"),
    "wrapup_done": ("整理完毕", "Wrap-up done"),
    "seat_login": ("签入", "Sign in seat"),
    "seat_logout": ("签出", "Sign out seat"),
    "waiting_call": ("等待来电…", "Waiting for a call…"),
    "incoming": ("来电", "Incoming call"),
    "callback_call": ("回拨", "Callback"),
    "your_name": ("您的称呼", "Your name"),
    "your_phone": ("联系电话", "Phone number"),
    "your_request": ("反映内容", "Your request"),
    "report_intro": ("请描述您遇到的问题，我们会尽快处理并回复。",
                     "Describe your problem; we will handle it and reply."),
    "report_ok": ("已受理，工单号", "Received; case number"),
    "forbidden": ("无权访问", "Forbidden"),
    "not_found": ("未找到", "Not found"),
    "database_away": ("案件库暂时无法连接，请稍后重试；来电和回拨不受影响。",
                      "The case database is unreachable for now; try again shortly. "
                      "Calls and callbacks go on."),
    "links": ("连接", "Links"),
    "up": ("正常", "up"),
    "down": ("断开", "down"),
    "all_ok": ("运行正常", "running"),
    "degraded": ("部分故障", "degraded"),
    "live": ("实时", "live"),
    "reconnecting": ("重新连接中", "reconnecting"),
    "elderly_registry": ("老人终端登记", "Elderly registry"),
    "terminal": ("终端号", "Terminal"),
    "community": ("社区", "Community"),
    "active": ("在用", "Active"),
    "inactive": ("已停用", "Inactive"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "address": ("地址", "Address"),
    "lat": ("纬度", "Latitude"),
    "lon": ("经度", "Longitude"),
    "health_notes": ("健康状况", "Health notes"),
    "medicines": ("用药", "Medicines"),
    "mobility": ("行动能力", "Mobility"),
    "dialect": ("方言", "Dialect"),
    "elderly_card": ("老人档案", "Elderly caller's profile"),
    "mandarin": ("普通话", "Mandarin"),
    "jinhua": ("金华话", "Jinhua dialect"),
    "worker_name": ("社区工作者", "Community worker"),
    "worker_phone": ("社区工作者电话", "Community worker's phone"),
    "care_plan": ("服务计划", "Care plan"),
    "care_plan_hint": ("服务 日期 时间，用分号隔开，如：助餐 周一,周三,周五 11:30",
                       "service days time, separated by ;  e.g. meals mon,wed,fri 11:30"),
    "checkin_windows": ("签到时段", "Check-in windows"),
    "checkin_hint": ("日期 开始-结束，用分号隔开，如：每天 09:00-10:00",
                     "days start-end, separated by ;  e.g. daily 09:00-10:00"),
    "contacts": ("紧急联系人", "Emergency contacts"),
    "contact": ("联系人", "Contact"),
    "relation": ("关系", "Relation"),
    "add_profile": ("新增老人", "Add a person"),
    "edit": ("编辑", "Edit"),
    "save": ("保存", "Save"),
    "deactivate": ("停用终端", "Deactivate terminal"),
    "import_sheet": ("导入表格", "Import a sheet"),
    "import_hint": ("CSV（UTF-8 或 GB18030）或 XLSX，第一行为列名：终端号、姓名、地址、社区、经度、"
                    "纬度、健康状况、用药、行动能力、方言、社区工作者、社区工作者电话、服务计划、"
                    "签到时段、紧急联系人1、紧急联系人1电话、关系1……（最多3位）",
                    "CSV (UTF-8 or GB18030) or XLSX; the first row names the columns: terminal, "
                    "name, address, community, lng, lat, health_notes, medicines, mobility, "
                    "dialect, worker_name, worker_phone, care_plan, checkin, contact1_name, "
                    "contact1_phone, contact1_relation, … (up to 3)"),
    "do_import": ("导入", "Import"),
    "imported": ("已导入", "Imported"),
    "bad_rows": ("未导入的行", "Rows not imported"),
    "no_bad_rows": ("所有行均已导入", "Every row was imported"),
    "row": ("行", "Row"),
    "ignored_columns": ("未识别的列（已忽略）", "Unknown columns (ignored)"),
    "view_log": ("查看记录", "View log"),
    "viewer": ("查看人", "Viewer"),
    "role": ("角色", "Role"),
    "purpose": ("用途", "Purpose"),
    "at": ("时间", "When"),
    "no_profiles": ("暂无登记", "No one registered yet"),
    "back_to_list": ("返回列表", "Back to the list"),
    "reports_nav": ("考核报表", "Reports"),
    "report_title": ("部门考核报表", "Department report"),
    "report_month": ("月份", "Month"),
    "report_from": ("起始日", "From"),
    "report_to": ("截止日", "To"),
    "report_show": ("查看", "Show"),
    "report_as_of": ("统计截至", "Figures as of"),
    "report_assigned": ("派单量", "Assigned"),
    "report_timely_acceptance": ("及时签收率", "Timely acceptance"),
    "report_on_time": ("按期办结率", "On-time completion"),
    "report_repeat": ("重复派单率", "Repeat dispatch"),
    "report_send_back": ("发回重办率", "Sent back"),
    "report_satisfaction": ("满意率", "Satisfaction"),
    "report_visit_coverage": ("回访率", "Visit coverage"),
    "report_notices": ("督办通知", "Supervision notices"),
    "report_overdue": ("超期件", "Overdue"),
    "report_department": ("部门", "Department"),
    "report_region": ("区县", "District / county"),
    "report_regions": ("区县汇总", "Districts and counties"),
    "report_all_regions": ("全部区县", "All districts"),
    "report_companies": ("合作企业", "Partner companies"),
    "report_company": ("企业", "Company"),
    "report_visits": ("回访答复", "Visits answered"),
    "report_replied": ("办结件", "Cases replied"),
    "report_city": ("全市", "City-wide"),
    "report_completion": ("办结率", "Completion"),
    "report_figure": ("指标", "Figure"),
    "report_ranking": ("部门排名", "Department ranking"),
    "report_rank": ("名次", "Rank"),
    "report_overdue_list": ("超期未办结工单", "Overdue cases"),
    "report_overdue_hours": ("超期(小时)", "Hours overdue"),
    "report_no_overdue": ("没有超期工单", "No overdue case"),
    "report_nothing": ("本期没有本部门的工单", "Your department had no cases in this period"),
    "report_print_hint": ("打印本页即为月报", "Print this page for the monthly report"),
}

STATUS_WORDS: dict[str, tuple[str, str]] = {
    "received": ("已受理", "received"), "assigned": ("已派发", "assigned"),
    "accepted": ("已签收", "accepted"), "in_progress": ("办理中", "in progress"),
    "replied": ("已答复", "replied"), "visiting": ("回访中", "follow-up"),
    "closed": ("已办结", "closed"), "merged": ("已合并", "merged"),
}

SEAT_WORDS: dict[str, tuple[str, str]] = {
    "available": ("空闲", "available"), "ringing": ("振铃", "ringing"),
    "talking": ("通话", "talking"), "wrapup": ("整理", "wrap-up"),
    "paused": ("示忙", "paused"), "logged_out": ("签出", "logged out"),
    "unavailable": ("不可用", "unavailable"),
}


def lang_of(request: web.Request) -> str:
    """The visitor's chosen language; Chinese unless they switched."""
    chosen = request.cookies.get("hl_lang", "zh")
    return chosen if chosen in LANGS else "zh"


def word(key: str, lang: str, table: dict[str, tuple[str, str]] = _WORDS) -> str:
    """A word in the language; unknown keys show themselves so gaps are visible, not fatal."""
    pair = table.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


class Words:
    """Bound to one language so templates read ``w.login`` or ``w("login")``."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __call__(self, key: str) -> str:
        return word(key, self.lang)

    def __getattr__(self, key: str) -> str:
        return word(key, self.lang)

    def status(self, key: str | None) -> str:
        return word(key or "", self.lang, STATUS_WORDS)

    def seat_state(self, key: str | None) -> str:
        return word(key or "", self.lang, SEAT_WORDS)

    def as_dict(self) -> dict[str, str]:
        """Words the page scripts need, handed over in a data attribute."""
        out = {k: word(k, self.lang) for k in _WORDS}
        out.update({f"seat_{k}": word(k, self.lang, SEAT_WORDS) for k in SEAT_WORDS})
        return out
