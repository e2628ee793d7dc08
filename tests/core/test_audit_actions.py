"""Audit actions are named once: enumeration members, registered per app, unique, never a free string.

The structural tests read the source (``ast``) so a call site added later with ``action="x.y"`` or an
f-string fails here; the runtime tests check the registry, the workflows and ``audit_log`` itself.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from campaigns.audit_actions import AuditAction as CampaignAction
from complaints.audit_actions import AuditAction as ComplaintAction
from integrity_portal.core.audit import (
    AuditAction,
    audit_action,
    audit_entries_for,
    audit_log,
    register_audit_actions,
    registered_audit_enums,
)
from integrity_portal.core.workflow import Workflow, registered_workflows
from merchants.audit_actions import AuditAction as MerchantAction
from merchants.models import MerchantStatus
from tests.factories import MerchantFactory

ROOT = Path(__file__).resolve().parents[2]
#: The project's own apps (core and every domain app, including ones added later), never .venv.
SOURCE_DIRS = sorted(
    {
        Path(config.path).relative_to(ROOT).parts[0]
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(ROOT) and ".venv" not in Path(config.path).parts
    }
)

#: Moves that are deliberately not audited (the map names no member; ``transition()`` to them would
#: raise, so these moves are conditional updates): a notice's claim, retry and delivery, one per SMS.
UNAUDITED_MOVES = {"notice": {"queued", "sending", "sent"}}

#: Every value earlier versions stored (free strings and ``f"{workflow}.{target}"``): each must still
#: name a registered action, so old AuditEntry rows keep rendering as words.
STORED_BEFORE = {
    "account.email_confirm", "account.email_confirm_resend", "account.signup", "account.signup_existing",
    "ad_quota.change", "ad_quota.create", "ad_quota.delete", "ad_quota.reminder",
    "ad_report.rejected", "ad_report.submit", "ad_report.verified",
    "appeal.dismissed", "appeal.file", "appeal.upheld",
    "application.candidate", "application.commended", "application.rejected",
    "application.review_city", "application.review_district", "application.submit",
    "campaign.archived", "campaign.create", "campaign.edit", "campaign.open", "campaign.published",
    "campaign.publicity", "campaign.reviewing",
    "claim_code.issue", "commitment.revoke", "commitment.sign",
    "complaint.accepted", "complaint.assigned", "complaint.confirmed", "complaint.deadline_recompute",
    "complaint.escalate", "complaint.link_merchant", "complaint.mediated", "complaint.mediating",
    "complaint.merchant_reply", "complaint.merchant_unanswered", "complaint.personal_data_anonymised",
    "complaint.proposal_accepted", "complaint.proposal_rejected", "complaint.rate", "complaint.received",
    "complaint.rejected", "complaint.send_code", "complaint.settled", "complaint.submit",
    "complaint.terminated", "complaint.transferred",
    "holiday_schedule.fill", "holiday_schedule.load", "holiday_schedule.replace",
    "inspection.correct", "inspection.record", "inspection.supersede", "legal_document.updated",
    "list_entry.add_black", "list_entry.add_red", "list_entry.escalate", "list_entry.expire",
    "list_entry.remove", "list_proposal.dismissed", "list_proposal.listed", "list_proposal.open",
    "membership.grant", "merchant.claim", "merchant.create", "merchant.delete", "merchant.odr_enroll",
    "merchant.odr_leave", "merchant.update",
    "objection.dismissed", "objection.file", "objection.personal_data_anonymised", "objection.upheld",
    "penalty.deadline_recompute", "penalty.record", "penalty.revoke", "personal_data.exported",
    "rating.recompute", "rating_policy.activate",
    "reinspection.done", "reinspection.refused", "reinspection.request", "reinspection.scheduled",
    "repair.approved", "repair.deadline_recompute", "repair.refused", "repair.submit",
    "reply.published", "reply.rejected", "reply.submit", "reply.withdrawn",
    "report.case_opened", "report.deadline_recompute", "report.escalate", "report.extend",
    "report.feedback", "report.link_merchant", "report.not_opened", "report.personal_data_anonymised",
    "report.rate", "report.send_code", "report.submit", "report.verifying",
    "staff.assign_role",
}  # fmt: skip


def _calls():
    for top in SOURCE_DIRS:
        for path in sorted((ROOT / top).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.Call):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}", node


def _name(call: ast.Call) -> str:
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _has_string(expr: ast.expr) -> bool:
    return any(
        isinstance(n, ast.JoinedStr) or (isinstance(n, ast.Constant) and isinstance(n.value, str))
        for n in ast.walk(expr)
    )


def test_every_audit_log_call_passes_a_member_never_a_string():
    bad = []
    for where, call in _calls():
        if _name(call) != "audit_log":
            continue
        action = _keyword(call, "action")
        if action is None or _has_string(action):
            bad.append(where)
    assert bad == []


def test_no_transition_overrides_its_action_with_a_string():
    bad = [
        where
        for where, call in _calls()
        if _name(call) == "transition" and (a := _keyword(call, "action")) is not None and _has_string(a)
    ]
    assert bad == []


def test_no_call_anywhere_passes_an_action_code_or_fstring():
    """Catches helpers that forward the action (``_recount(action="penalty.deadline_recompute")``)."""
    def is_code(action) -> bool:
        if isinstance(action, ast.JoinedStr):
            return True
        return isinstance(action, ast.Constant) and bool(re.fullmatch(r"[a-z_]+\.[a-z_]+", str(action.value)))

    assert [where for where, call in _calls() if is_code(_keyword(call, "action"))] == []


def test_every_workflow_in_the_code_names_its_actions():
    bad = [where for where, call in _calls() if _name(call) == "Workflow" and _keyword(call, "actions") is None]
    assert bad == []


def test_every_registered_workflow_move_has_a_registered_member():
    workflows = [w for registration in registered_workflows() for w in registration.workflows]
    assert {w.name for w in workflows} >= {"complaint", "report", "campaign", "application", "repair"}
    for workflow in workflows:
        assert set(workflow.actions) <= workflow.targets(), workflow.name
        for target in workflow.targets() - UNAUDITED_MOVES.get(workflow.name, set()):
            member = workflow.actions.get(target)
            assert member is not None, (workflow.name, target)
            assert audit_action(member) is member
        for target in UNAUDITED_MOVES.get(workflow.name, set()):
            assert target not in workflow.actions, (workflow.name, target)
        for member in workflow.extra_actions:
            assert audit_action(member) is member


def test_each_app_and_core_register_their_enumeration():
    enums = registered_audit_enums()
    for cls in (AuditAction, MerchantAction, ComplaintAction, CampaignAction):
        assert cls in enums
    for config in apps.get_app_configs():  # an app added later with an audit_actions.py too
        if Path(config.path, "audit_actions.py").is_file():
            module = importlib.import_module(f"{config.name}.audit_actions")
            assert module.AuditAction in enums, config.name


def test_registered_values_are_unique_across_apps():
    values = [member.value for cls in registered_audit_enums() for member in cls]
    assert len(values) == len(set(values))


def test_every_member_has_a_label_in_words():
    for cls in registered_audit_enums():
        for member in cls:
            label = str(member.label)
            assert label != member.value and "." not in label and "_" not in label, member


def test_values_stored_before_still_name_an_action():
    for value in STORED_BEFORE:
        assert audit_action(value).value == value


def test_known_members_keep_their_stored_values():
    assert ComplaintAction.COMPLAINT_MEDIATING == "complaint.mediating"
    assert ComplaintAction.COMPLAINT_MEDIATING.label == "转入调解"
    assert MerchantAction.LIST_ENTRY_ADD_RED == "list_entry.add_red"
    assert CampaignAction.APPLICATION_REVIEW_DISTRICT == "application.review_district"
    assert AuditAction.TWO_FACTOR_ENABLED == "two_factor.enabled"


@pytest.mark.django_db
def test_an_unregistered_string_is_refused_and_nothing_is_written(regions):
    merchant = MerchantFactory()
    for bad in ("merchant.renamed", "complaint.mediatin", "", "test.touch"):
        with pytest.raises(ValueError, match="not a registered audit action"):
            audit_log(actor=None, action=bad, target=merchant)
    assert not audit_entries_for(merchant).exists()


@pytest.mark.django_db
def test_a_registered_value_or_member_is_stored_as_the_value(regions):
    merchant = MerchantFactory()
    audit_log(actor=None, action=MerchantAction.MERCHANT_UPDATE, target=merchant)
    audit_log(actor=None, action="merchant.update", target=merchant)
    assert list(audit_entries_for(merchant).values_list("action", flat=True)) == ["merchant.update"] * 2


class _Unregistered(models.TextChoices):
    MERCHANT_UPDATE = "merchant.update", "修改"
    ELSEWHERE = "elsewhere.touch", "别处"


@pytest.mark.django_db
def test_a_member_of_an_unregistered_enumeration_is_refused(regions):
    merchant = MerchantFactory()
    for member in _Unregistered:
        with pytest.raises(ValueError):
            audit_log(actor=None, action=member, target=merchant)
    assert not audit_entries_for(merchant).exists()


def test_registering_a_value_another_enumeration_owns_is_refused():
    with pytest.raises(ImproperlyConfigured, match="merchant.update"):
        register_audit_actions(_Unregistered)
    with pytest.raises(ValueError):
        audit_action("elsewhere.touch")  # nothing of the refused enumeration was registered


_FLOW = Workflow(
    "audit_test",
    {MerchantStatus.OPERATING: {MerchantStatus.SUSPENDED, MerchantStatus.DEREGISTERED}},
    actions={MerchantStatus.SUSPENDED: MerchantAction.MERCHANT_UPDATE},
)


@pytest.mark.django_db
def test_a_move_without_a_member_or_with_an_undeclared_override_writes_nothing(regions):
    merchant = MerchantFactory()
    with pytest.raises(ValueError, match="names no audit action"):
        _FLOW.transition(merchant, MerchantStatus.DEREGISTERED, actor=None)
    with pytest.raises(ValueError, match="extra_actions"):
        _FLOW.transition(merchant, MerchantStatus.SUSPENDED, actor=None, action=MerchantAction.MERCHANT_DELETE)
    merchant.refresh_from_db()
    assert merchant.status == MerchantStatus.OPERATING
    assert not audit_entries_for(merchant).exists()
