"""R25–R26: integrity. Each rule has a test that breaks it and one that keeps it."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from lta_tui.config import Role
from lta_tui.domain.rules import AuditRecord, Refused, Severity, check_audit_event, check_permission
from lta_tui.domain.states import OrderStatus

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)


def event(**kw) -> AuditRecord:
    fields = {
        "at": NOW,
        "who": "a.focal",
        "entity": "order",
        "entity_id": 42,
        "action": "issue",
        "before": {"status": OrderStatus.draft},
        "after": {"status": OrderStatus.issued},
    }
    return AuditRecord(**(fields | kw))


def only(findings, severity=Severity.error):
    assert len(findings) == 1, findings
    (finding,) = findings
    assert finding.severity is severity
    return finding


# --- R25 -------------------------------------------------------------------------------------


def test_r25_state_change_without_audit_event_is_refused():
    f = only(check_audit_event(None))
    assert f.rule == "R25" and "must write an audit event" in f.message


def test_r25_audit_event_without_user_is_refused():
    f = only(check_audit_event(event(who=" ")))
    assert (
        f.field == "who" and "the audit event of the issue of order 42 names no user" in f.message
    )


def test_r25_audit_event_without_timezone_is_refused():
    assert only(check_audit_event(event(at=datetime(2026, 3, 2, 9, 30)))).field == "at"


def test_r25_state_change_without_before_or_after_is_refused():
    assert only(check_audit_event(event(before=None))).field == "before"
    assert only(check_audit_event(event(after=None))).field == "after"


def test_r25_audit_event_recording_no_change_is_refused():
    same = {"status": "issued"}
    assert "records no change" in only(check_audit_event(event(before=same, after=same))).message


def test_r25_payload_of_an_incomplete_event_is_refused():
    with pytest.raises(
        Refused, match="R25: the audit event of the issue of order 42 names no user"
    ):
        event(who="").payload()


def test_r25_complete_state_change_is_kept():
    assert check_audit_event(event()) == []


def test_r25_create_without_before_and_delete_without_after_are_kept():
    assert check_audit_event(event(action="create", before=None)) == []
    assert check_audit_event(event(action="delete", after=None)) == []


def test_r25_payload_records_exact_values_as_json():
    payload = event(
        before={"status": OrderStatus.issued, "total": Decimal("1250.50")},
        after={"status": OrderStatus.issued, "total": Decimal("1300.000"), "on": date(2026, 3, 2)},
        action="amend",
    ).payload()
    assert payload["who"] == "a.focal" and payload["at"] == NOW and payload["entity_id"] == 42
    assert json.loads(payload["before"]) == {"status": "issued", "total": "1250.50"}
    assert json.loads(payload["after"]) == {
        "on": "2026-03-02",
        "status": "issued",
        "total": "1300.000",
    }


# --- R26 -------------------------------------------------------------------------------------


def test_r26_focal_point_changes_only_the_own_agency():
    f = only(check_permission("focal_point", "UNDP", "change", "UNICEF"))
    assert f.rule == "R26"
    assert f.message == "R26: a focal point of UNDP changes only UNDP's records, not UNICEF's"


def test_r26_focal_point_changing_own_agency_records_is_kept():
    assert check_permission("focal_point", "UNDP", "change", "UNDP") == []
    assert check_permission(Role.focal_point, "UNDP", "change", "UNDP") == []


def test_r26_focal_point_does_not_change_lta_level_records():
    assert (
        "changed by the Working Group"
        in only(check_permission("focal_point", "UNDP", "change", None)).message
    )


def test_r26_focal_point_reads_own_and_lta_level_records_only():
    assert check_permission("focal_point", "UNDP", "read", "UNDP") == []
    assert check_permission("focal_point", "UNDP", "read", None) == []
    f = only(check_permission("focal_point", "UNDP", "read", "UNFPA"))
    assert "reads only UNDP's and LTA-level records, not UNFPA's" in f.message


def test_r26_working_group_reads_all():
    for owner in ("UNDP", "UNICEF", "WFP", None):
        assert check_permission(Role.working_group, "UNICEF", "read", owner) == []


def test_r26_working_group_does_not_change_agency_records():
    f = only(check_permission("working_group", "UNICEF", "change", "UNICEF"))
    assert "the Working Group reads UNICEF's records but does not change them" in f.message


def test_r26_working_group_changes_lta_level_records():
    assert check_permission("working_group", "UNICEF", "change", None) == []


def test_r26_viewer_changes_nothing():
    for owner in ("UNDP", None):
        assert only(check_permission("viewer", "UNDP", "change", owner)).message == (
            "R26: a viewer changes nothing"
        )


def test_r26_viewer_reads_own_agency_records():
    assert check_permission(Role.viewer, "UNDP", "read", "UNDP") == []
    assert check_permission(Role.viewer, "UNDP", "read", "UNICEF") != []


def test_r26_unknown_role_or_action_is_refused():
    assert "unknown role 'admin'" in only(check_permission("admin", "UNDP", "read", "UNDP")).message
    assert (
        "unknown action 'delete'"
        in only(check_permission("viewer", "UNDP", "delete", None)).message
    )


def test_r26_published_rates_are_loaded_by_focal_points_and_the_working_group():
    assert check_permission("focal_point", "UNDP", "change", None, published=True) == []
    assert check_permission("working_group", "UNICEF", "change", None, published=True) == []


def test_r26_viewer_does_not_load_published_rates():
    f = only(check_permission("viewer", "UNDP", "change", None, published=True))
    assert f.message == "R26: a viewer changes nothing"
