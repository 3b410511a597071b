"""Rules of integrity (DESIGN.md §2, R25–R26): every state change leaves an audit record, and a
user changes only what the role allows."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from lta_tui.domain.rules.findings import Finding, ensure_allowed, error

#: Actions whose audit record has no "before" (create) or no "after" (delete).
_NO_BEFORE = {"create", "import"}
_NO_AFTER = {"delete"}


def _json_value(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)  # a stable order, so equal sets record equal text
    raise TypeError(f"cannot record {type(value).__name__} in an audit event")


def snapshot_json(values: Mapping[str, Any] | None) -> str | None:
    """Values before or after a change as JSON: amounts as decimal strings, dates ISO 8601."""
    if values is None:
        return None
    return json.dumps(dict(values), default=_json_value, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class AuditRecord:
    """Who changed what and when, with the values before and after (the audit event to write)."""

    at: datetime
    who: str
    entity: str
    entity_id: int | str
    action: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None

    def payload(self) -> dict[str, Any]:
        """The columns of the audit event to store; `Refused` when the record is incomplete."""
        ensure_allowed(check_audit_event(self))
        return {
            "at": self.at,
            "who": self.who.strip(),
            "entity": self.entity,
            "entity_id": self.entity_id,
            "action": self.action,
            "before": snapshot_json(self.before),
            "after": snapshot_json(self.after),
        }


def check_audit_event(event: AuditRecord | None) -> list[Finding]:
    """R25 (E): every state change writes an audit event naming who, when, before and after.

    `when` must carry a timezone. A create (or import) has no "before" and a delete no
    "after"; any other action needs both, and they must differ.
    """
    if event is None:
        return [error("R25", "a state change must write an audit event (who, when, before, after)")]
    found = []
    subject = f"{event.action or 'change'} of {event.entity or 'record'} {event.entity_id}"
    if not event.who or not event.who.strip():
        found.append(error("R25", f"the audit event of the {subject} names no user", "who"))
    if event.at.tzinfo is None or event.at.utcoffset() is None:
        found.append(error("R25", f"the audit event time of the {subject} has no timezone", "at"))
    if not event.entity.strip() or not event.action.strip():
        found.append(error("R25", "an audit event names its entity and its action", "entity"))
    if event.before is None and event.action not in _NO_BEFORE:
        found.append(
            error("R25", f"the audit event of the {subject} has no values before", "before")
        )
    if event.after is None and event.action not in _NO_AFTER:
        found.append(error("R25", f"the audit event of the {subject} has no values after", "after"))
    if (
        event.before is not None
        and event.after is not None
        and (snapshot_json(event.before) == snapshot_json(event.after))
    ):
        found.append(error("R25", f"the audit event of the {subject} records no change", "after"))
    return found


_ROLES = ("focal_point", "working_group", "viewer")
_ACTIONS = ("read", "change")


def check_permission(
    role: str,
    user_agency: str,
    action: str,
    owner_agency: str | None,
    *,
    published: bool = False,
) -> list[Finding]:
    """R26 (E): a user changes only what the role allows.

    `action` is "read" or "change"; `owner_agency` is the agency code owning the record
    (competitions, offers, awards, orders, sub-LTAs, spend feedback, consolidator reports to
    that agency), or None for an LTA-level record (the LTA, lots, holdings, consolidators and
    their eligibility, exchange rates). Our reading of DESIGN.md:
    - focal point: reads and changes the own agency's records, reads LTA-level records;
    - Working Group: reads everything, changes LTA-level records only, no agency's records;
    - viewer: reads the own agency's records and LTA-level records, changes nothing.
    `published` marks reference data published by someone else for everyone, the same for all
    agencies (the UN Operational Rates of Exchange of the UN Treasury): any user but a viewer
    may load it, since a focal point needs this month's rate to place an order in EUR.
    `role` may be the config's `Role` enum or its string value.
    """
    role = getattr(role, "value", role)
    if role not in _ROLES:
        return [error("R26", f"unknown role {role!r} (use {', '.join(_ROLES)})")]
    if action not in _ACTIONS:
        return [error("R26", f"unknown action {action!r} (use read or change)")]
    own = owner_agency is not None and owner_agency == user_agency
    if action == "read":
        if role == "working_group" or owner_agency is None or own:
            return []
        return [
            error(
                "R26",
                f"a {role.replace('_', ' ')} of {user_agency} reads only {user_agency}'s and"
                f" LTA-level records, not {owner_agency}'s",
            )
        ]
    if role == "viewer":
        return [error("R26", "a viewer changes nothing")]
    if published:
        return []
    if role == "working_group":
        if owner_agency is None:
            return []
        return [
            error(
                "R26",
                f"the Working Group reads {owner_agency}'s records but does not change them",
            )
        ]
    if own:
        return []
    if owner_agency is None:
        return [
            error(
                "R26",
                "LTA-level records (lots, holders, consolidators, exchange rates) are changed"
                " by the Working Group, not a focal point",
            )
        ]
    return [
        error(
            "R26",
            f"a focal point of {user_agency} changes only {user_agency}'s records,"
            f" not {owner_agency}'s",
        )
    ]
