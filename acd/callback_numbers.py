"""Which numbers the hotline may call back on its own: the callback dial plan.

A caller can key any digits as the number to call back, and the hotline dials on the
city's trunk under 88900000: without a plan that is toll fraud and harassment on
demand. Pure functions of the text and the plan: mainland mobiles, local fixed lines
(with or without the area code), other mainland area codes when enabled, and the
elderly terminals (dialled on their own endpoints, never on the trunk). `+86` and
`0086` become the national form. Anything else goes to an agent to check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ASCII digits only: `\d` and str.isdigit() also take "١٣٨…" or "²", which no trunk dials
MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
LOCAL = re.compile(r"^[2-9][0-9]{6,7}$")  # a subscriber number inside the area
AREA_CODES = re.compile(r"^(10|2[0-9]|[3-9][0-9]{2})$")  # 010, 02x, then three-digit codes
DIGITS = re.compile(r"[0-9]+")

KINDS = ("mobile", "local", "long_distance", "terminal")


@dataclass(frozen=True)
class NumberPlan:
    area_code: str = "0579"  # Jinhua
    other_areas: bool = False  # long-distance callbacks to other mainland area codes
    terminals: frozenset[str] = frozenset()  # elderly terminals' endpoints
    daily_limit: int = 3  # automatic callbacks to one number a day

    @classmethod
    def from_config(cls, cfg) -> NumberPlan:
        return cls(cfg.callback_area_code, cfg.callback_other_areas,
                   frozenset(cfg.terminals), cfg.callback_daily_limit)

    def check(self, raw: str) -> Verdict:
        """The kind and the form to dial, or why the number is not dialled on its own."""
        text = raw.strip()
        if text in self.terminals:
            return Verdict("terminal", text)
        number = national_form(text)
        if number is None:
            return Verdict("", "", "not a mainland number")
        if MOBILE.match(number):
            return Verdict("mobile", number)
        if LOCAL.match(number):
            return Verdict("local", self.area_code + number)
        area = area_code_of(number)
        if area:
            if area == self.area_code:
                return Verdict("local", number)
            if self.other_areas:
                return Verdict("long_distance", number)
            return Verdict("", number, "another area code; long distance is off")
        return Verdict("", number, "not a mobile or fixed-line number")

    def national(self, raw: str) -> str | None:
        """The form to dial, or None when the hotline would not dial it on its own: the
        check the elderly registry stores emergency contacts by."""
        verdict = self.check(raw)
        return verdict.number if verdict.dialable else None


@dataclass(frozen=True)
class Verdict:
    kind: str  # one of KINDS; "" when the hotline must not dial it on its own
    number: str  # the national form (or the terminal's endpoint)
    reason: str = ""

    @property
    def dialable(self) -> bool:
        return bool(self.kind)


def area_code_of(number: str) -> str:
    """"0579" of 057982345678: 0, an area code, a subscriber number; "" if not so."""
    for size in (2, 3):
        area, subscriber = number[1:1 + size], number[1 + size:]
        if number.startswith("0") and AREA_CODES.match(area) and LOCAL.match(subscriber):
            return "0" + area
    return ""


def digits_of(text: str) -> str:
    """What an agent is shown of a number outside the plan: a leading + and digits."""
    digits = "".join(ch for ch in text if ch in "0123456789")[:32]
    return ("+" + digits) if digits and text.strip().startswith("+") else digits


def national_form(text: str) -> str | None:
    """Digits in the national form: `+86`/`0086` dropped (a fixed line gets its 0
    back); None for another country's number or anything that is not digits."""
    compact = re.sub(r"[\s\-()]", "", text)
    if compact.startswith("+"):
        if not compact.startswith("+86"):
            return None
        compact = compact[3:]
    elif compact.startswith("0086"):
        compact = compact[4:]
    elif compact.startswith("00"):
        return None  # international prefix, another country
    else:
        return compact if DIGITS.fullmatch(compact) else None
    if not DIGITS.fullmatch(compact):
        return None
    if MOBILE.match(compact) or compact.startswith("0"):
        return compact
    return "0" + compact  # a fixed line written internationally: its trunk 0 comes back
