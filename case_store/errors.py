"""Errors the case store raises: each one says what was wrong, and nothing was written."""

from __future__ import annotations


class CaseStoreError(ValueError):
    """Base of every error a caller of the case store should show to a person."""


class InvalidCaseError(CaseStoreError):
    """The request itself is unusable: unknown kind or topic, empty or oversized text."""


class UnknownDepartmentError(CaseStoreError):
    """A department code that the store does not know."""


class UnknownCompanyError(CaseStoreError):
    """A partner company code that the store does not know."""


class CaseNotFoundError(CaseStoreError):
    """No case with that number."""


class IllegalTransitionError(CaseStoreError):
    """The action is not allowed in the case's current state."""


class CalendarRangeError(CaseStoreError):
    """A date outside every calendar the store has (official, loaded or provisional)."""


class InvalidCallError(CaseStoreError):
    """A call or callback record with a field or value the store does not accept."""


class CallNotFoundError(CaseStoreError):
    """No call with that Asterisk uniqueid (or too little given to start its record)."""


class CallbackNotFoundError(CaseStoreError):
    """No callback with that id."""


class UnknownActionError(IllegalTransitionError):
    """``transition`` was given an action it has no handler for (a typo, or a step such
    as routing or a follow-up answer that has its own method)."""

    def __init__(self, action: str, known: list[str]) -> None:
        super().__init__(f"{action!r} is not a handling action; use one of {known}"
                         " (routing and follow-up have their own methods)")
        self.action = action
        self.known = known


class InvalidProfileError(CaseStoreError):
    """An elderly person's profile (or an import row) with a field the registry refuses."""


class ProfileNotFoundError(CaseStoreError):
    """No elderly profile for that terminal."""


class InvalidSeatError(CaseStoreError):
    """A seat number (or an import row) the roster refuses: not 2-8 digits, taken by a
    terminal or a hotline number, or already a seat."""


class SeatNotFoundError(CaseStoreError):
    """No seat with that number in the roster."""
