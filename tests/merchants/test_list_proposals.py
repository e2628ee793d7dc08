"""An abnormal-operation entry in force after 3 years opens a proposal; only the district's decision
(real decision number and legal basis) publishes a serious-dishonesty entry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from integrity_portal.core.roles import StaffRole
from merchants.models import ListEntry, ListEntryKind, ListProposal, ProposalStatus
from merchants.services import credit as svc
from merchants.services import list_proposals as lp
from tests.factories import MerchantFactory, make_staff
from tests.merchants.credit_factories import blacklist, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_abnormal(regions):
    m = MerchantFactory(region=regions["410802"])
    return blacklist(m, kind=ListEntryKind.ABNORMAL_OPERATION, valid_from=today() - timedelta(days=3 * 365 + 5))


def _serious():
    return ListEntry.objects.filter(kind=ListEntryKind.SERIOUS_DISHONESTY)


def test_escalation_opens_one_proposal_and_publishes_nothing(old_abnormal, client):
    before_api = client.get("/api/v1/lists/black/").json()["results"]
    name = old_abnormal.merchant.name
    before_page = client.get("/lists/black/").content.decode().count(name)
    from merchants.tasks import expire_list_entries

    assert expire_list_entries.delay().get()["proposed"] == 1
    assert svc.list_entries_expire()["proposed"] == 0  # twice: still one proposal
    proposal = ListProposal.objects.get()
    assert proposal.status == ProposalStatus.OPEN and proposal.source_entry == old_abnormal
    assert audit_entries_for(proposal).filter(action="list_proposal.open").count() == 1
    assert not _serious().exists() and not ListEntry.objects.filter(decision_number__startswith="AUDIT-").exists()
    assert client.get("/api/v1/lists/black/").json()["results"] == before_api
    assert client.get("/lists/black/").content.decode().count(name) == before_page


def test_a_recent_abnormal_entry_is_not_proposed(regions):
    blacklist(MerchantFactory(), kind=ListEntryKind.ABNORMAL_OPERATION, valid_from=today() - timedelta(days=365))
    assert svc.list_entries_expire()["proposed"] == 0 and not ListProposal.objects.exists()


def test_deciding_publishes_with_the_staffs_decision_number(old_abnormal, client):
    svc.list_entries_expire()
    proposal = ListProposal.objects.get()
    staff = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    with pytest.raises(ValidationFailed):
        lp.list_proposal_decide(proposal=proposal, decision_number=" ", legal_basis="第十条", actor=staff)
    with pytest.raises(ValidationFailed):
        lp.list_proposal_decide(proposal=proposal, decision_number="焦解市监失信〔2026〕3号", legal_basis="", actor=staff)
    assert not _serious().exists()
    lp.list_proposal_decide(
        proposal=proposal,
        decision_number="焦解市监失信〔2026〕3号",
        legal_basis="《市场监督管理严重违法失信名单管理办法》第十四条",
        actor=staff,
    )
    proposal.refresh_from_db()
    entry = _serious().get()
    assert proposal.status == ProposalStatus.LISTED and proposal.listed_entry == entry
    assert entry.decision_number == "焦解市监失信〔2026〕3号" and entry.in_force_on(today())
    old_abnormal.refresh_from_db()
    assert old_abnormal.ended_at is not None and old_abnormal.escalated_to == entry
    assert audit_entries_for(proposal).filter(action="list_proposal.listed", actor=staff).exists()
    assert "焦解市监失信〔2026〕3号" in client.get("/lists/black/").content.decode()
    with pytest.raises(TransitionNotAllowed):
        lp.list_proposal_dismiss(proposal=proposal, reason="改主意", actor=staff)


def test_dismissing_needs_a_reason_and_publishes_nothing(old_abnormal):
    svc.list_entries_expire()
    proposal = ListProposal.objects.get()
    staff = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    with pytest.raises(ValidationFailed):
        lp.list_proposal_dismiss(proposal=proposal, reason="  ", actor=staff)
    lp.list_proposal_dismiss(proposal=proposal, reason="已补报年报并申请移出", actor=staff)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.DISMISSED and not _serious().exists()
    with pytest.raises(TransitionNotAllowed):
        lp.list_proposal_decide(proposal=proposal, decision_number="X1", legal_basis="Y", actor=staff)
    assert svc.list_entries_expire()["proposed"] == 0  # dismissal is final for that entry


def test_workflow_map_allows_only_open_to_decided():
    assert lp.PROPOSAL_WORKFLOW.can("open", "listed") and lp.PROPOSAL_WORKFLOW.can("open", "dismissed")
    for src in ("listed", "dismissed"):
        for dst in ("open", "listed", "dismissed"):
            assert not lp.PROPOSAL_WORKFLOW.can(src, dst)


def test_another_districts_staff_cannot_decide(old_abnormal, client):
    svc.list_entries_expire()
    proposal = ListProposal.objects.get()
    other = make_staff("410803", StaffRole.DISTRICT_BRANCH)
    with pytest.raises(NotFound):
        lp.list_proposal_decide(proposal=proposal, decision_number="X", legal_basis="Y", actor=other)
    client.force_login(other)
    url = f"/admin/merchants/listproposal/{proposal.pk}/change/"
    assert client.get(url).status_code == 404
    data = {"decision": "list", "decision_number": "越权〔2026〕1号", "legal_basis": "越权", "dismiss_reason": ""}
    assert client.post(url, data).status_code == 404
    assert not _serious().exists()


def test_admin_object_page_decides_through_the_service(old_abnormal, client):
    svc.list_entries_expire()
    proposal = ListProposal.objects.get()
    staff = make_staff("410802", StaffRole.DISTRICT_BRANCH)
    client.force_login(staff)
    url = f"/admin/merchants/listproposal/{proposal.pk}/change/"
    assert client.get(url).status_code == 200
    assert client.get("/admin/merchants/listproposal/add/").status_code == 403
    missing = client.post(url, {"decision": "list", "decision_number": "", "legal_basis": "", "dismiss_reason": ""})
    assert missing.status_code == 200 and missing.context["adminform"].form.errors
    assert not _serious().exists()
    data = {
        "decision": "list",
        "decision_number": "焦解市监失信〔2026〕<8>号",
        "legal_basis": "《市场监督管理严重违法失信名单管理办法》第十四条",
        "decided_by": "",
        "dismiss_reason": "",
    }
    assert client.post(url, data).status_code == 302
    entry = _serious().get()
    assert entry.decision_number == "焦解市监失信〔2026〕<8>号"
    assert audit_entries_for(entry).filter(action="list_entry.add_black", actor=staff).count() == 1
    assert client.post(url, data).status_code in (302, 403)  # double submit: decided proposals are read-only
    assert _serious().count() == 1
