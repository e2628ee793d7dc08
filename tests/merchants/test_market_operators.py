"""Market operators (市场开办方, issue #20 item 1): a market's members see only their own stalls (stars, open
complaints without personal data, commitments due, the summary), print claim letters (PDF, several a page,
codes that work once) and invite their stalls to sign commitments (each stall signs its own)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotFound, NotPermitted, ValidationFailed
from merchants.claim_letters import LETTERS_PER_PAGE
from merchants.models import ClaimCode, CommitmentInvitation, MembershipRole, MerchantKind, MerchantStatus
from merchants.selectors.markets import (
    market_invitations,
    market_stall_rows,
    market_stalls,
    market_summary,
)
from merchants.services import merchant_claim
from merchants.services.credit import commitment_sign
from merchants.services.markets import market_claim_letters_issue, market_commitments_invite
from tests.factories import MembershipFactory, MerchantFactory, UserFactory

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}\b")


@pytest.fixture
def market(regions):
    return MerchantFactory(name="解放路农贸市场", kind=MerchantKind.MARKET)


@pytest.fixture
def operator(market):
    return MembershipFactory(merchant=market, user=UserFactory(username="market_boss")).user


@pytest.fixture
def stalls(market):
    return [MerchantFactory(name=f"摊位{i}", parent_market=market, stars=s) for i, s in enumerate([5, 5, 3, None, 4])]


@pytest.fixture
def other_market(regions):
    market = MerchantFactory(name="别的市场", kind=MerchantKind.MARKET)
    MerchantFactory(name="别处摊位", parent_market=market, stars=1)
    return market


def _pdf_text(content: bytes) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), "\n".join(page.extract_text() or "" for page in reader.pages)


# --- scoping --------------------------------------------------------------------------------------------


def test_operator_sees_only_its_own_stalls(market, operator, stalls, other_market):
    assert {s.pk for s in market_stalls(viewer=operator, market=market)} == {s.pk for s in stalls}
    assert not market_stalls(viewer=operator, market=other_market).exists()
    assert not market_stalls(viewer=UserFactory(), market=market).exists()
    today = timezone.localdate()
    assert market_stall_rows(viewer=operator, market=other_market, today=today) == []


def test_market_page_is_404_for_another_market_and_for_a_plain_merchant(client, market, operator, other_market):
    client.force_login(operator)
    assert client.get(reverse("portal:market", args=[market.pk])).status_code == 200
    assert client.get(reverse("portal:market", args=[other_market.pk])).status_code == 404
    shop = MerchantFactory()
    MembershipFactory(merchant=shop, user=operator)
    assert client.get(reverse("portal:market", args=[shop.pk])).status_code == 404  # not a market


def test_stall_rows_show_open_complaints_without_personal_data(client, market, operator, stalls):
    from complaints.services import Submission, complaint_submit
    from integrity_portal.core import workdays

    complaint_submit(
        submission=Submission(
            kind="complaint",
            category="price",
            description="结账时实际收费高于标价二十元，商家拒绝退还。",
            name="投诉人李梅",
            phone="13911112222",
            address="人民路1号",
            harm_known_on=workdays.today() - timedelta(days=2),
            merchant_id=stalls[0].pk,
            consent=True,
        )
    )
    rows = {r.stall.pk: r for r in market_stall_rows(viewer=operator, market=market, today=timezone.localdate())}
    assert rows[stalls[0].pk].complaints.open == 1 and rows[stalls[0].pk].complaints.next_due is not None
    assert rows[stalls[1].pk].complaints.open == 0
    client.force_login(operator)
    page = client.get(reverse("portal:market", args=[market.pk])).content.decode()
    assert "摊位0" in page and "别处摊位" not in page
    assert "李梅" not in page and "13911112222" not in page and "人民路1号" not in page


def test_summary_gives_the_share_at_each_star_level_and_complaints_per_month(market, operator, stalls):
    MerchantFactory(name="已注销摊位", parent_market=market, stars=0, status=MerchantStatus.DEREGISTERED)
    summary = market_summary(viewer=operator, market=market, today=timezone.localdate())
    assert summary["stalls"] == 5
    levels = {level["stars"]: (level["count"], level["share"]) for level in summary["levels"]}
    assert levels[5] == (2, 40.0) and levels[3] == (1, 20.0) and levels[None] == (1, 20.0) and levels[0] == (0, 0.0)
    assert len(summary["complaints_per_month"]) == 12
    assert sum(n for _m, n in summary["complaints_per_month"]) == 0


# --- claim letters ---------------------------------------------------------------------------------------


def test_claim_letters_pdf_has_working_codes_several_per_page(client, market, operator, stalls):
    client.force_login(operator)
    response = client.post(
        reverse("portal:market_claim_letters", args=[market.pk]), {"stall": [s.pk for s in stalls]}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    pages, text = _pdf_text(response.content)
    assert pages == -(-len(stalls) // LETTERS_PER_PAGE) == 2
    codes = CODE.findall(text)
    assert len(codes) == len(stalls)
    assert ClaimCode.objects.filter(merchant__in=stalls, used_at__isnull=True).count() == len(stalls)
    entry = audit_entries_for(market).get(action="market.claim_letters")
    assert entry.actor == operator and entry.data["count"] == len(stalls)
    assert not any(code.replace("-", "") in str(entry.data) for code in codes)
    # The first code printed claims the stall it was printed for (the letters keep the stalls' order).
    first = sorted(stalls, key=lambda s: (s.name, s.pk))[0]
    membership = merchant_claim(user=UserFactory(username="stall_owner"), registration_number=first.uscc, code=codes[0])
    assert membership.merchant_id == first.pk and membership.role == MembershipRole.OWNER


def test_printing_again_revokes_the_first_codes(market, operator, stalls):
    first = market_claim_letters_issue(market=market, stall_ids=[stalls[0].pk], actor=operator)[0]
    market_claim_letters_issue(market=market, stall_ids=[stalls[0].pk], actor=operator)
    with pytest.raises(ValidationFailed):
        merchant_claim(user=UserFactory(), registration_number=stalls[0].uscc, code=first.code)


def test_claim_letters_refuse_another_market_stall_and_issue_nothing(market, operator, stalls, other_market):
    foreign = other_market.stalls.get()
    with pytest.raises(NotFound):
        market_claim_letters_issue(market=market, stall_ids=[stalls[0].pk, foreign.pk], actor=operator)
    assert not ClaimCode.objects.exists()


def test_claim_letters_refuse_a_stall_that_already_has_an_owner(market, operator, stalls):
    MembershipFactory(merchant=stalls[1])
    with pytest.raises(ValidationFailed, match="摊位1"):
        market_claim_letters_issue(market=market, stall_ids=[stalls[0].pk, stalls[1].pk], actor=operator)
    assert not ClaimCode.objects.exists()


def test_only_an_owner_of_the_market_prints_claim_letters(client, market, stalls, other_market):
    clerk = MembershipFactory(merchant=market, role=MembershipRole.CLERK).user
    with pytest.raises(NotPermitted):
        market_claim_letters_issue(market=market, stall_ids=[stalls[0].pk], actor=clerk)
    stranger = MembershipFactory(merchant=other_market).user
    client.force_login(stranger)
    response = client.post(reverse("portal:market_claim_letters", args=[market.pk]), {"stall": [stalls[0].pk]})
    assert response.status_code == 404
    assert not ClaimCode.objects.exists()


def test_claim_letters_page_shows_an_error_when_nothing_is_selected(client, market, operator, stalls):
    client.force_login(operator)
    response = client.post(reverse("portal:market_claim_letters", args=[market.pk]), {})
    assert response.status_code == 400 and "请至少选择一个摊位" in response.content.decode()


# --- commitments in bulk ----------------------------------------------------------------------------------


def test_bulk_invitations_each_stall_signs_its_own_and_the_operator_sees_who_signed(client, market, operator, stalls):
    client.force_login(operator)
    response = client.post(
        reverse("portal:market_invite", args=[market.pk]),
        {"stall": [stalls[0].pk, stalls[1].pk], "kind": "price"},
    )
    assert response.status_code == 302
    assert CommitmentInvitation.objects.filter(market=market).count() == 2
    entry = audit_entries_for(market).get(action="market.commitment_invite")
    assert sorted(entry.data["invited"]) == sorted([stalls[0].pk, stalls[1].pk])
    stall_owner = MembershipFactory(merchant=stalls[0]).user
    commitment_sign(merchant=stalls[0], kind="price", actor=stall_owner)
    rows = {r.invitation.merchant_id: r for r in market_invitations(viewer=operator, market=market)}
    assert rows[stalls[0].pk].signed is not None and rows[stalls[0].pk].signed.signed_by == stall_owner
    assert rows[stalls[1].pk].signed is None
    stall_rows = {r.stall.pk: r for r in market_stall_rows(viewer=operator, market=market, today=timezone.localdate())}
    assert stall_rows[stalls[0].pk].invitations_pending == []
    assert len(stall_rows[stalls[1].pk].invitations_pending) == 1
    # Inviting again skips the stall still waiting; the one who signed is invited anew.
    again = market_commitments_invite(market=market, stall_ids=[stalls[0].pk, stalls[1].pk], kind="price", actor=operator)
    assert [i.merchant_id for i in again] == [stalls[0].pk]
    # A signed commitment is the stall's own: the operator signed nothing.
    assert not stalls[1].commitments.exists()


def test_invitations_refuse_bad_input_and_other_markets(market, operator, stalls, other_market):
    with pytest.raises(ValidationFailed):
        market_commitments_invite(market=market, stall_ids=[stalls[0].pk], kind="nonsense", actor=operator)
    with pytest.raises(ValidationFailed):
        market_commitments_invite(
            market=market, stall_ids=[stalls[0].pk], kind="price", actor=operator, due_on=timezone.localdate()
        )
    with pytest.raises(NotFound):
        market_commitments_invite(
            market=market, stall_ids=[other_market.stalls.get().pk], kind="price", actor=operator
        )
    with pytest.raises(NotPermitted):
        market_commitments_invite(market=market, stall_ids=[stalls[0].pk], kind="price", actor=UserFactory())
    assert not CommitmentInvitation.objects.exists()


def test_invite_view_rejects_a_malformed_date(client, market, operator, stalls):
    client.force_login(operator)
    response = client.post(
        reverse("portal:market_invite", args=[market.pk]), {"stall": [stalls[0].pk], "kind": "price", "due_on": "x"}
    )
    assert response.status_code == 400 and "日期格式不正确" in response.content.decode()
    assert not CommitmentInvitation.objects.exists()



def test_invited_stall_sees_the_invitation_on_its_portal_home_until_it_signs(client, market, operator, stalls):
    market_commitments_invite(market=market, stall_ids=[stalls[0].pk], kind="price", actor=operator)
    stall_owner = MembershipFactory(merchant=stalls[0]).user
    client.force_login(stall_owner)
    page = client.get(reverse("portal:home")).content.decode()
    assert "解放路农贸市场邀请您签署价格诚信承诺" in page
    commitment_sign(merchant=stalls[0], kind="price", actor=stall_owner)
    assert "邀请您签署" not in client.get(reverse("portal:home")).content.decode()
