"""Every write of the analysis app: the monthly report's draft, edits, submission, compilation,
acceptance and escalation, and the quarterly meeting with its action items.

Keyword-only, with the acting user (None for the daily job); each write under a row lock in one
transaction, audited. Refusals are ``DomainError`` subclasses with a translated message.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core import workdays
from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from integrity_portal.core.scoping import is_unrestricted, staff_region_code, user_covers_region
from integrity_portal.core.services import model_update

from .audit_actions import AuditAction
from .figures import report_figures
from .models import (
    DEADLINE_DAY,
    DRAFT_DAY,
    ActionItem,
    ActionItemStatus,
    MonthlyReport,
    QuarterlyMeeting,
    ReportStatus,
)
from .notices import notify_report_escalated
from .workflow import ACTION_ITEM_WORKFLOW, MONTHLY_REPORT_WORKFLOW

logger = logging.getLogger(__name__)

SUBMIT_PERMISSION = "analysis.submit_monthlyreport"
ACCEPT_PERMISSION = "analysis.accept_monthlyreport"


# --- helpers -----------------------------------------------------------------------------------


def _require_region(actor: User | None, code: str) -> None:
    if actor is not None and not user_covers_region(actor, code):
        raise NotPermitted(_("您的辖区内没有该记录。"))


def _require_perm(actor: User | None, permission: str, message: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise NotPermitted(message)


def _locked(model, pk):
    return model.objects.select_for_update().select_related("region").get(pk=pk)


def _is_city(region) -> bool:
    from merchants.models import RegionLevel

    return region.level == RegionLevel.CITY


def deadline_of(month: dt.date) -> dt.date:
    return month.replace(day=DEADLINE_DAY)


# --- the monthly report ------------------------------------------------------------------------


def _report_regions():
    from merchants.models import Region, RegionLevel

    return Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.DISTRICT]).order_by("code")


def monthly_report_draft(*, region, month: dt.date, today: dt.date) -> MonthlyReport | None:
    """Draft ``region``'s report of ``month`` once; None when it exists already (idempotent)."""
    from .figures import period_of

    if MonthlyReport.objects.filter(region=region, month=month).exists():
        return None
    start, end = period_of(month)
    try:
        with transaction.atomic():
            report = MonthlyReport.objects.create(
                region=region,
                month=month,
                period_start=start,
                period_end=end,
                deadline=deadline_of(month),
                figures=report_figures(region_code=region.pk, month=month, as_of=today),
                figures_at=timezone.now(),
            )
            audit_log(actor=None, action=AuditAction.MONTHLY_REPORT_DRAFT, target=report, to_status=report.status)
    except IntegrityError:  # a parallel run made it first
        return None
    return report


def monthly_reports_draft(*, today: dt.date | None = None) -> int:
    """On or after the 20th, draft this month's report of every district and city that has none."""
    today = today or workdays.today()
    if today.day < DRAFT_DAY:
        return 0
    month = today.replace(day=1)
    return sum(
        monthly_report_draft(region=region, month=month, today=today) is not None for region in _report_regions()
    )


def monthly_reports_escalate(*, today: dt.date | None = None) -> int:
    """Every report still a draft after its deadline: marked late and escalated (督办) to the region
    above, once (a conditional update; the audit entry names the supervising region)."""
    today = today or workdays.today()
    count = 0
    due = MonthlyReport.objects.filter(
        status=ReportStatus.DRAFT, deadline__lt=today, escalated_at__isnull=True
    ).select_related("region")
    for report in due:
        supervisor = report.region.parent_id or report.region_id
        with transaction.atomic():
            updated = MonthlyReport.objects.filter(pk=report.pk, escalated_at__isnull=True).update(
                escalated_at=timezone.now(), escalated_to_id=supervisor, late=True
            )
            if updated:
                report.refresh_from_db(fields=["escalated_at", "escalated_to", "late"])
                audit_log(
                    actor=None,
                    action=AuditAction.MONTHLY_REPORT_ESCALATED,
                    target=report,
                    note=_("报送期限 %(deadline)s") % {"deadline": report.deadline.isoformat()},
                    data={"deadline": report.deadline.isoformat(), "to_region": supervisor},
                )
                notify_report_escalated(report=report)
                count += 1
    return count


def monthly_reports_daily(*, today: dt.date | None = None) -> dict:
    """The daily job: draft on/after the 20th, escalate what is past its deadline."""
    today = today or workdays.today()
    return {"drafted": monthly_reports_draft(today=today), "escalated": monthly_reports_escalate(today=today)}


def _require_draft(report: MonthlyReport) -> None:
    if report.status != ReportStatus.DRAFT:
        raise TransitionNotAllowed(_("只有草稿状态的报告可以修改。"))


def monthly_report_edit(*, report: MonthlyReport, analysis: str, measures: str, actor: User | None) -> list[str]:
    """Staff write the analysis and measures of a draft; returns the changed fields."""
    _require_region(actor, report.region_id)
    with transaction.atomic():
        report = _locked(MonthlyReport, report.pk)
        _require_draft(report)
        changed = model_update(
            instance=report, fields=("analysis", "measures"), data={"analysis": analysis, "measures": measures}
        )
        if changed:
            audit_log(actor=actor, action=AuditAction.MONTHLY_REPORT_EDIT, target=report, data={"fields": changed})
    return changed


def monthly_report_refresh(*, report: MonthlyReport, actor: User | None) -> MonthlyReport:
    """Count a draft's figures again (e.g. after late entries); the analysis text is kept."""
    _require_region(actor, report.region_id)
    with transaction.atomic():
        report = _locked(MonthlyReport, report.pk)
        _require_draft(report)
        report.figures = report_figures(region_code=report.region_id, month=report.month, as_of=workdays.today())
        report.figures_at = timezone.now()
        report.save(update_fields=["figures", "figures_at", "updated_at"])
        audit_log(actor=actor, action=AuditAction.MONTHLY_REPORT_REFRESH, target=report)
    return report


def monthly_report_submit(*, report: MonthlyReport, actor: User | None) -> MonthlyReport:
    """The unit's head submits the report; after the 25th it is marked late. A city's report is
    submitted only after it compiled its districts' reports."""
    _require_region(actor, report.region_id)
    _require_perm(actor, SUBMIT_PERMISSION, _("只有单位负责人可以提交月研判报告。"))
    if actor is not None and not is_unrestricted(actor) and staff_region_code(actor) != report.region_id:
        raise NotPermitted(_("月研判报告由本单位负责人提交。"))  # a city head does not submit for a district
    with transaction.atomic():
        report = _locked(MonthlyReport, report.pk)
        if not report.analysis.strip() or not report.measures.strip():
            raise ValidationFailed(_("请先填写研判分析和对策措施。"))
        if _is_city(report.region) and report.compiled_at is None:
            raise ValidationFailed(_("市级报告须先汇总区县报告再提交。"))
        late = report.late or workdays.today() > report.deadline
        MONTHLY_REPORT_WORKFLOW.transition(
            report,
            ReportStatus.SUBMITTED,
            actor=actor,
            fields={"submitted_by": acting_user(actor), "submitted_at": timezone.now(), "late": late},
            data={"late": late, "deadline": report.deadline.isoformat()},
        )
    return report


def monthly_report_return(*, report: MonthlyReport, reason: str, actor: User | None) -> MonthlyReport:
    """The level above sends a submitted report back to draft with a reason (the deadline stands)."""
    if not (reason or "").strip():
        raise ValidationFailed(_("请填写退回原因。"))
    with transaction.atomic():
        report = _locked(MonthlyReport, report.pk)
        if _is_city(report.region):
            _require_perm(actor, ACCEPT_PERMISSION, _("只有工作专班可以退回市级报告。"))
        else:
            _require_region(actor, report.region.parent_id)
        MONTHLY_REPORT_WORKFLOW.transition(report, ReportStatus.DRAFT, actor=actor, note=reason.strip())
    return report


def monthly_report_accept(*, report: MonthlyReport, actor: User | None) -> MonthlyReport:
    """The work group (工作专班) receives a city's submitted report."""
    _require_perm(actor, ACCEPT_PERMISSION, _("只有工作专班可以接收市级报告。"))
    with transaction.atomic():
        report = _locked(MonthlyReport, report.pk)
        if not _is_city(report.region):
            raise ValidationFailed(_("区县报告由市级汇总，不单独接收。"))
        MONTHLY_REPORT_WORKFLOW.transition(report, ReportStatus.ACCEPTED, actor=actor)
    return report


def _compiled_entry(district, report: MonthlyReport | None) -> dict:
    entry = {"region": district.pk, "name": district.name}
    if report is None:
        return {**entry, "status": ""}
    return {
        **entry,
        "report": report.pk,
        "status": report.status,
        "late": report.late,
        "submitted_at": report.submitted_at.isoformat() if report.submitted_at else None,
        "analysis": report.analysis,
        "measures": report.measures,
        "risks": report.figures.get("risks", []),
    }


def monthly_report_compile(*, report: MonthlyReport, actor: User | None) -> MonthlyReport:
    """Compile a city's draft from its districts' submitted reports (each moves to compiled).

    Districts that have not submitted are listed as missing; compiling again later adds those
    that submitted since. Refused for a district's report, a report no longer in draft, and when
    none of the city's districts has submitted yet (docs/ANALYSIS.md); a city without districts
    compiles an empty list.
    """
    _require_region(actor, report.region_id)
    with transaction.atomic():
        report = _locked(MonthlyReport, report.pk)
        if not _is_city(report.region):
            raise ValidationFailed(_("只有市级报告可以汇总区县报告。"))
        _require_draft(report)
        districts = list(report.region.children.order_by("code"))
        found = {
            r.region_id: r
            for r in MonthlyReport.objects.select_for_update()
            .filter(region__in=districts, month=report.month)
            .order_by("region_id")
        }
        taken = {ReportStatus.SUBMITTED, ReportStatus.COMPILED}
        if districts and not any(r.status in taken for r in found.values()):
            raise ValidationFailed(_("尚无区县提交本月报告，暂不能汇总。"))
        included, missing = [], []
        for district in districts:
            district_report = found.get(district.pk)
            if district_report is not None and district_report.status == ReportStatus.SUBMITTED:
                MONTHLY_REPORT_WORKFLOW.transition(
                    district_report, ReportStatus.COMPILED, actor=actor, data={"into": report.pk}
                )
            if district_report is not None and district_report.status in taken:
                included.append(_compiled_entry(district, district_report))
            else:
                missing.append(_compiled_entry(district, district_report))
        report.compiled = {"districts": included, "missing": missing}
        report.compiled_at = timezone.now()
        report.save(update_fields=["compiled", "compiled_at", "updated_at"])
        audit_log(
            actor=actor,
            action=AuditAction.MONTHLY_REPORT_COMPILE,
            target=report,
            data={"included": [d["region"] for d in included], "missing": [d["region"] for d in missing]},
        )
    return report


# --- the quarterly meeting ---------------------------------------------------------------------


def parse_attendees(text: str) -> list[tuple[str, str]]:
    """``单位：人员`` per line (full-width or ASCII colon) → [(unit, people)]; a line without a colon
    is a unit with no names."""
    rows = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        unit, _sep, people = line.replace(":", "：").partition("：")
        rows.append((unit.strip(), people.strip()))
    return rows


MEETING_FIRST_YEAR = 2000  # the year of the quarter discussed: 2000 … the year after the meeting


def meeting_check(*, region, held_on, year, quarter, attendees, minutes, reports, actor) -> None:
    _require_region(actor, region.pk)
    if quarter not in (1, 2, 3, 4):
        raise ValidationFailed(_("季度须为1至4。"))
    if not MEETING_FIRST_YEAR <= (year or 0) <= held_on.year + 1:
        raise ValidationFailed(
            _("年度须在 %(first)d 至 %(last)d 之间。") % {"first": MEETING_FIRST_YEAR, "last": held_on.year + 1}
        )
    if not parse_attendees(attendees) or any(not unit for unit, _people in parse_attendees(attendees)):
        raise ValidationFailed(_("请按“单位：参会人员”逐行填写参会单位。"))
    if not (minutes or "").strip():
        raise ValidationFailed(_("请填写会议纪要。"))
    if held_on > workdays.today():
        raise ValidationFailed(_("会议日期不能晚于今天。"))
    from integrity_portal.core.scoping import region_and_descendants

    codes = set(region_and_descendants(region.pk))
    if any(r.region_id not in codes for r in reports):
        raise ValidationFailed(_("只能选择本辖区的月研判报告。"))


def meeting_record(
    *, region, held_on: dt.date, year: int, quarter: int, attendees: str, minutes: str, reports=(), actor: User | None
) -> QuarterlyMeeting:
    reports = list(reports)
    meeting_check(
        region=region, held_on=held_on, year=year, quarter=quarter, attendees=attendees, minutes=minutes,
        reports=reports, actor=actor,
    )
    with transaction.atomic():
        meeting = QuarterlyMeeting.objects.create(
            region=region, held_on=held_on, year=year, quarter=quarter, attendees=attendees.strip(),
            minutes=minutes.strip(), created_by=acting_user(actor),
        )
        meeting.reports.set(reports)
        audit_log(
            actor=actor, action=AuditAction.MEETING_RECORD, target=meeting, data={"reports": [r.pk for r in reports]}
        )
    return meeting


def meeting_edit(*, meeting: QuarterlyMeeting, data: dict, reports=None, actor: User | None) -> list[str]:
    """Correct a meeting's record (date, quarter, attendees, minutes, reports discussed)."""
    with transaction.atomic():
        meeting = _locked(QuarterlyMeeting, meeting.pk)
        merged = {k: data.get(k, getattr(meeting, k)) for k in ("held_on", "year", "quarter", "attendees", "minutes")}
        chosen = list(meeting.reports.all()) if reports is None else list(reports)
        meeting_check(region=meeting.region, reports=chosen, actor=actor, **merged)
        changed = model_update(instance=meeting, fields=tuple(merged), data=merged)
        if reports is not None and {r.pk for r in chosen} != set(meeting.reports.values_list("pk", flat=True)):
            meeting.reports.set(chosen)
            changed.append("reports")
        if changed:
            audit_log(actor=actor, action=AuditAction.MEETING_EDIT, target=meeting, data={"fields": changed})
    return changed


def action_item_add(
    *, meeting: QuarterlyMeeting, description: str, owner_region, owner_unit: str, deadline: dt.date,
    actor: User | None,
) -> ActionItem:
    """A task the meeting gave a unit; the owner region must lie within the meeting's region."""
    from integrity_portal.core.scoping import region_and_descendants

    _require_region(actor, meeting.region_id)
    if not (description or "").strip() or not (owner_unit or "").strip():
        raise ValidationFailed(_("请填写工作任务和责任单位。"))
    if owner_region.pk not in region_and_descendants(meeting.region_id):
        raise ValidationFailed(_("责任辖区须在会商召集辖区之内。"))
    if deadline < meeting.held_on:
        raise ValidationFailed(_("完成期限不能早于会议日期。"))
    with transaction.atomic():
        item = ActionItem.objects.create(
            meeting=meeting, description=description.strip(), owner_region=owner_region,
            owner_unit=owner_unit.strip(), deadline=deadline,
        )
        audit_log(
            actor=actor, action=AuditAction.ACTION_ITEM_ADD, target=item,
            data={"meeting": meeting.pk, "owner_region": owner_region.pk, "deadline": deadline.isoformat()},
        )
    return item


def action_item_done(*, item: ActionItem, note: str, actor: User | None) -> ActionItem:
    """The owner reports the task done, with what was done."""
    if not (note or "").strip():
        raise ValidationFailed(_("请填写完成情况。"))
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().get(pk=item.pk)
        _require_region(actor, item.owner_region_id)
        ACTION_ITEM_WORKFLOW.transition(
            item,
            ActionItemStatus.DONE,
            actor=actor,
            note=note.strip(),
            fields={
                "done_at": timezone.now(),
                "done_by": acting_user(actor),
                "done_note": note.strip(),
            },
        )
    return item
