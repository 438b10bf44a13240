"""Personal data out of text shown to the public (Open311): phones, ID cards, names.

A citizen's words often carry their phone number (WeChat messages ask for it), an ID
card number or a name ("我姓王", "李先生"). Public outputs show the request without
them; the full text stays for the roles that handle the case. Pure text rules, tried
longest first, so an ID card is never half-taken for a phone number.
"""

from __future__ import annotations

import re

HIDDEN = "***"
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), HIDDEN),  # e-mail
    (re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])|(?<!\d)\d{15}(?!\d)"), HIDDEN),  # ID card
    (re.compile(r"(?<!\d)(\+?86[\s-]?)?1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"), HIDDEN),
    (re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)"), HIDDEN),  # fixed line with area
    (re.compile(r"(?<!\d)[2-9]\d{6,7}(?!\d)"), HIDDEN),  # local fixed line
    (re.compile(r"(我叫|我是|本人|我姓|姓名[:：]?|联系人[:：]?|名字叫)[\u4e00-\u9fff]{1,3}"),
     r"\1" + HIDDEN),
    (re.compile(r"[\u4e00-\u9fff](先生|女士|小姐|师傅|大爷|阿姨|大妈|奶奶|爷爷)"), r"某\1"),
)


def redact_personal(text: str) -> str:
    """The text with phone numbers, ID-card numbers, e-mail addresses and names hidden."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
