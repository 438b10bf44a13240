"""Pause reasons by name: a seat paused with *231 shows "午休", not "code1".

The seat's facts, the queue_log's PAUSE lines and the SQL history keep the code (report
tools and scripts group by it); pages and the wallboard's JSON add the name beside it.
*23N's names come from the config (`[acd] pause_reasons = 1=午休,2=培训`); the reasons
the hotline gives itself from the console's words; a reason typed at a console is
already a name and shows as typed.
"""

from __future__ import annotations

from collections.abc import Callable

from hotline.web.i18n import PAUSE_WORDS, word

FEATURE_CODE = "code"  # *23N pauses with reason "code<N>" (asterisk_conf/extensions.conf)


def configured_names(spec: str) -> dict[str, str]:
    """"1=午休,2=培训" -> {"code1": "午休", "code2": "培训"}; malformed items are skipped."""
    names: dict[str, str] = {}
    for item in spec.split(","):
        digits, sep, name = item.partition("=")
        if sep and digits.strip().isdecimal() and name.strip():
            names[f"{FEATURE_CODE}{digits.strip()}"] = name.strip()
    return names


def reason_name(reason: str, names: dict[str, str], lang: str) -> str:
    """The name a reader sees for a pause reason ("" stays "")."""
    if reason in names:
        return names[reason]
    head, _, rest = reason.partition(" ")
    if head in PAUSE_WORDS:  # "supervisor sup1": who paused the seat stays readable
        return " ".join(filter(None, (word(head, lang, PAUSE_WORDS), rest)))
    return reason


def namer(names: dict[str, str], lang: str) -> Callable[[str], str]:
    return lambda reason: reason_name(reason, names, lang)
