"""Input checks shared by the case commands: free text and optimistic versions."""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import BadUserInput, Conflict

MAX_TEXT = 2000


@dataclass(frozen=True)
class Note:
    """The free text a command records: an opinion, a reason, findings."""

    text: str | None = None
    findings: str | None = None


def note(value: str | None, argument: str, *, required: bool = False) -> str | None:
    text = value.strip() if value is not None else None
    if required and not text:
        raise BadUserInput(f"`{argument}` must give the reasons", argument=argument)
    if text is not None and len(text) > MAX_TEXT:
        raise BadUserInput(f"`{argument}` takes at most {MAX_TEXT} characters", argument=argument)
    return text or None


def require_version(kind: str, current: int, expected: int, status: str, extra: str = "") -> None:
    if current != expected:
        raise Conflict(
            f"the {kind} is at version {current} (status {status}{extra}), not {expected}; "
            "reload it and decide again",
            currentVersion=current,
            currentStatus=status,
        )
