"""Portal home (issue #19 item 8): a to-do list across the user's businesses — complaints to answer with
their deadlines, decisions received, commitments expiring, PSA reports due — and star changes with the
reason; nothing of a business the user is not a member of."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AdQuota
from complaints.models import Complaint, Status
from merchants.models import Commitment, Rating, RatingAppeal
from tests.factories import MembershipFactory, MerchantFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(regions):
    user = UserFactory()
    shop = MerchantFactory(name="我的水果店")
    venue = MerchantFactory(name="我的大商场", kind="market", is_large_venue=True)
    for m in (shop, venue):
        MembershipFactory(user=user, merchant=m)
    return user, shop, venue


def _complaint_waiting(merchant, due):
    from tests.complaints.conftest import JIEFANG, file_complaint

    c = file_complaint(merchant_id=merchant.pk, region_code=JIEFANG)
    Complaint.objects.filter(pk=c.pk).update(status=Status.ASSIGNED, merchant_reply_due_on=due)
    return c


def _rating(merchant, stars, days_ago, **deductions):
    return Rating.objects.create(
        merchant=merchant,
        stars=stars,
        computed_at=timezone.now() - timedelta(days=days_ago),
        total=sum(deductions.values()),
        **deductions,
    )


def test_home_lists_every_kind_of_todo_with_deadlines(client, owner):
    user, shop, venue = owner
    today = timezone.localdate()
    complaint = _complaint_waiting(shop, today + timedelta(days=3))
    Commitment.objects.create(
        merchant=shop, kind="comprehensive", text_version="v1", text="承诺", signed_at=timezone.now(),
        valid_until=today + timedelta(days=10),
    )
    rated = _rating(shop, 4, 40)
    RatingAppeal.objects.create(
        merchant=shop, rating=rated, grounds="扣分有误", status="dismissed", filed_by=user,
        filed_at=timezone.now() - timedelta(days=20), decide_by=today, decided_at=timezone.now(),
        decision_reason="经复核，扣分依据充分。",
    )
    AdQuota.objects.create(year=today.year)
    client.force_login(user)
    response = client.get(reverse("portal:home"))
    todos = response.context["todos"]
    assert {t.kind for t in todos} == {"complaint", "commitment", "decision", "psa"}
    html = response.content.decode()
    assert complaint.tracking_code in html and reverse("portal_complaints:detail", args=[complaint.pk]) in html
    assert "经复核，扣分依据充分。" in html
    assert reverse("portal_campaigns:ad_report", args=[venue.pk]) in html
    dated = [t.due for t in todos if t.due]
    assert dated == sorted(dated)  # the nearest (or an overdue) deadline first


def test_answered_complaint_and_renewed_commitment_leave_the_list(client, owner):
    from complaints.services import complaint_merchant_reply

    user, shop, _venue = owner
    today = timezone.localdate()
    complaint = _complaint_waiting(shop, today + timedelta(days=3))
    complaint_merchant_reply(complaint=complaint, actor=user, body="已联系消费者协商退款")
    for days in (10, 400):
        Commitment.objects.create(
            merchant=shop, kind="comprehensive", text_version="v1", text="承诺", signed_at=timezone.now(),
            valid_until=today + timedelta(days=days),
        )
    client.force_login(user)
    kinds = {t.kind for t in client.get(reverse("portal:home")).context["todos"]}
    assert "complaint" not in kinds and "commitment" not in kinds


def test_star_changes_show_the_reason(client, owner):
    user, shop, _venue = owner
    _rating(shop, 5, 60, trading=0, service=0, credit=0)
    _rating(shop, 5, 50, trading=1, service=0, credit=0)  # same stars: not a change
    _rating(shop, 3, 5, trading=1, service=8, credit=0)
    client.force_login(user)
    response = client.get(reverse("portal:home"))
    changes = response.context["star_changes"]
    assert len(changes) == 1
    assert (changes[0]["before"], changes[0]["after"]) == (5, 3)
    assert [m["label"] for m in changes[0]["moved"]] == ["服务质量"]
    html = response.content.decode()
    assert "星级变化" in html and "服务质量 0 → 8" in html


def test_nothing_of_another_business(client, owner):
    user, _shop, _venue = owner
    stranger = MerchantFactory(name="别人的店")
    other = _complaint_waiting(stranger, timezone.localdate() + timedelta(days=1))
    _rating(stranger, 5, 30)
    _rating(stranger, 2, 1)
    client.force_login(user)
    response = client.get(reverse("portal:home"))
    html = response.content.decode()
    assert other.tracking_code not in html and "别人的店" not in html
    assert response.context["star_changes"] == []
