"""The report's moves: a district's is compiled into the city's, the city's is accepted; returns;
compiling lists the districts that did not submit."""

from __future__ import annotations

import pytest

from analysis import services
from analysis.audit_actions import AuditAction
from analysis.models import ReportStatus
from analysis.workflow import MONTHLY_REPORT_WORKFLOW
from integrity_portal.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from integrity_portal.core.models import AuditEntry
from integrity_portal.core.workflow import workflow_for

from .conftest import CITY, JIEFANG, ZHONGZHAN


def _submit(report, head):
    services.monthly_report_edit(report=report, analysis="分析", measures="措施", actor=None)
    return services.monthly_report_submit(report=report, actor=head)


def test_the_map_is_registered_and_allows_only_its_moves(drafted):
    report = drafted[JIEFANG]
    assert workflow_for(report) is MONTHLY_REPORT_WORKFLOW
    assert MONTHLY_REPORT_WORKFLOW.can("draft", "submitted")
    assert not MONTHLY_REPORT_WORKFLOW.can("draft", "compiled")
    assert not MONTHLY_REPORT_WORKFLOW.can("compiled", "draft")


def test_city_compiles_submitted_districts_and_lists_the_missing(drafted, district_head, city_staff, city_head, work_group):
    city = drafted[CITY]
    with pytest.raises(ValidationFailed):  # nobody submitted yet
        services.monthly_report_compile(report=city, actor=city_staff)
    with pytest.raises(ValidationFailed):  # a city report is compiled before it is submitted
        _submit(city, city_head)

    _submit(drafted[JIEFANG], district_head)
    services.monthly_report_compile(report=city, actor=city_staff)
    city.refresh_from_db()
    jiefang = drafted[JIEFANG]
    jiefang.refresh_from_db()
    assert jiefang.status == ReportStatus.COMPILED
    assert [d["region"] for d in city.compiled["districts"]] == [JIEFANG]
    missing = [d["region"] for d in city.compiled["missing"]]
    assert ZHONGZHAN in missing and JIEFANG not in missing and len(missing) == 9
    assert AuditEntry.objects.filter(action=AuditAction.MONTHLY_REPORT_COMPILED, object_id=str(jiefang.pk)).exists()
    assert AuditEntry.objects.get(action=AuditAction.MONTHLY_REPORT_COMPILE).data["included"] == [JIEFANG]

    # a district compiled cannot be edited or returned any more
    with pytest.raises(TransitionNotAllowed):
        services.monthly_report_edit(report=jiefang, analysis="改", measures="改", actor=None)

    _submit(city, city_head)
    with pytest.raises(NotPermitted):
        services.monthly_report_accept(report=city, actor=city_head)
    services.monthly_report_accept(report=city, actor=work_group)
    city.refresh_from_db()
    assert city.status == ReportStatus.ACCEPTED


def test_a_district_report_is_compiled_only_by_its_city(drafted, district_head, city_staff):
    with pytest.raises(ValidationFailed):
        services.monthly_report_compile(report=drafted[JIEFANG], actor=city_staff)


def test_the_city_returns_a_submitted_report_with_a_reason(drafted, district_head, city_staff, other_district_staff):
    report = drafted[JIEFANG]
    _submit(report, district_head)
    with pytest.raises(ValidationFailed):
        services.monthly_report_return(report=report, reason=" ", actor=city_staff)
    with pytest.raises(NotPermitted):
        services.monthly_report_return(report=report, reason="数据不全", actor=other_district_staff)
    services.monthly_report_return(report=report, reason="数据不全", actor=city_staff)
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    entry = AuditEntry.objects.get(action=AuditAction.MONTHLY_REPORT_RETURNED)
    assert (entry.from_status, entry.to_status, entry.note) == ("submitted", "draft", "数据不全")


def test_the_staff_audit_log_shows_a_districts_report_entries_to_that_district_only(
    drafted, district_staff, other_district_staff
):
    from integrity_portal.core.staff_audit import audit_entries_for_staff

    report = drafted[JIEFANG]
    services.monthly_report_edit(report=report, analysis="分析", measures="措施", actor=district_staff)
    mine = audit_entries_for_staff(district_staff).filter(action=AuditAction.MONTHLY_REPORT_EDIT)
    assert [e.object_id for e in mine] == [str(report.pk)]
    assert not audit_entries_for_staff(other_district_staff).filter(object_id=str(report.pk), action__startswith="monthly_report").exists()
