"""Consumer-rights stations (消费维权服务站, issue #20 item 2): intake channel "station", mediation at source
within the settlement period, scoping to the station's market, no personal data, the dashboard figure."""

from __future__ import annotations

from datetime import date

import pytest

from complaints.models import Channel, Complaint, ConsumerRightsStation, MerchantReply, Status
from complaints.partners import STATION_COLUMNS, station_complaints, stations_section
from complaints.services import (
    complaint_decide_proposal,
    complaint_odr_expire,
    complaint_station_mediate,
    station_complaint_intake,
)
from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.dashboard import dashboard_figures
from integrity_portal.core.errors import NotFound, NotPermitted, TransitionNotAllowed, ValidationFailed
from merchants.models import MerchantKind
from tests.factories import MerchantFactory, UserFactory

from .conftest import CITY, submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(regions):
    return MerchantFactory(name="解放路农贸市场", kind=MerchantKind.MARKET)


@pytest.fixture
def stall(market):
    return MerchantFactory(name="三号摊位", parent_market=market)


@pytest.fixture
def station_user(regions):
    return UserFactory(username="station_clerk")


@pytest.fixture
def station(market, station_user):
    s = ConsumerRightsStation.objects.create(venue=market, name="解放路市场维权站", address="市场东门", phone="03913000000")
    s.staff.add(station_user)
    return s


def _take(station, user, **overrides):
    data = {"target_name": "", "target_address": ""} if overrides.get("merchant_id") else {}
    data.update(overrides)
    return station_complaint_intake(station=station, submission=submission(**data), actor=user)[0]


def test_station_intake_registers_channel_station_and_the_station(station, station_user, stall):
    c = _take(station, station_user, merchant_id=stall.pk)
    c.refresh_from_db()
    assert c.channel == Channel.STATION == "station"
    assert c.station_id == station.pk
    assert c.status == Status.RECEIVED
    entry = audit_entries_for(c).get(action="complaint.submit")
    assert entry.data["channel"] == "station" and entry.data["station"] == station.pk


def test_station_intake_about_its_stall_may_go_to_settlement_first_without_odr_enrolment(station, station_user, stall):
    assert not stall.odr_enrolled
    c = _take(station, station_user, merchant_id=stall.pk, use_odr=True)
    assert c.status == Status.ODR and c.odr_due_on is not None


def test_station_intake_about_another_market_stall_may_not_skip_to_settlement(station, station_user, regions):
    elsewhere = MerchantFactory(name="别处摊位", parent_market=MerchantFactory(kind=MerchantKind.MARKET))
    with pytest.raises(ValidationFailed) as exc:
        _take(station, station_user, merchant_id=elsewhere.pk, use_odr=True)
    assert "use_odr" in exc.value.details
    assert not Complaint.objects.exists()


def test_only_the_station_staff_may_take_complaints_there(station, regions):
    with pytest.raises(NotPermitted):
        _take(station, UserFactory())
    station.active = False
    station.save()
    with pytest.raises(NotPermitted):
        _take(station, station.staff.get())
    assert not Complaint.objects.exists()


def test_channel_station_needs_a_station(regions):
    from complaints.services import complaint_submit

    with pytest.raises(ValidationFailed) as exc:
        complaint_submit(submission=submission(channel=Channel.STATION))
    assert "channel" in exc.value.details


def test_station_mediates_within_the_settlement_period_and_acceptance_settles(station, station_user, stall):
    c = _take(station, station_user, merchant_id=stall.pk, use_odr=True)
    reply = complaint_station_mediate(
        complaint=c, station=station, actor=station_user, body="经服务站调解", proposal="商户退还20元"
    )
    assert reply.station_id == station.pk and reply.proposal_status == "pending"
    entry = audit_entries_for(c).get(action="complaint.station_mediation")
    assert entry.data == {"reply": reply.pk, "proposal": True, "station": station.pk}
    complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=True)
    c.refresh_from_db()
    assert c.status == Status.SETTLED and c.agreement == "商户退还20元"


def test_station_cannot_mediate_once_the_bureau_clock_started(station, station_user, stall, on_day):
    on_day(date(2026, 11, 2))
    c = _take(station, station_user, merchant_id=stall.pk, use_odr=True)
    on_day(date(2026, 12, 1))
    assert complaint_odr_expire(complaint_id=c.pk)
    c.refresh_from_db()
    assert c.status == Status.RECEIVED
    with pytest.raises(TransitionNotAllowed):
        complaint_station_mediate(complaint=c, station=station, actor=station_user, body="调解", proposal="退款")
    assert not MerchantReply.objects.exists()


def test_station_cannot_mediate_another_market_complaint(station, station_user, regions):
    other_market = MerchantFactory(kind=MerchantKind.MARKET, name="别的市场")
    other_stall = MerchantFactory(parent_market=other_market, odr_enrolled=True)
    from complaints.services import complaint_submit

    c = complaint_submit(submission=submission(merchant_id=other_stall.pk, use_odr=True))[0]
    with pytest.raises(NotFound):
        complaint_station_mediate(complaint=c, station=station, actor=station_user, body="调解", proposal="退款")
    with pytest.raises(NotPermitted):  # and a stranger is refused before anything is read
        complaint_station_mediate(complaint=c, station=station, actor=UserFactory(), body="调解", proposal="退款")


def test_station_sees_only_its_market_complaints_without_personal_data(station, station_user, stall, regions):
    from complaints.services import complaint_submit

    ours = complaint_submit(submission=submission(merchant_id=stall.pk))[0]
    other_stall = MerchantFactory(parent_market=MerchantFactory(kind=MerchantKind.MARKET))
    complaint_submit(submission=submission(merchant_id=other_stall.pk))
    complaint_submit(submission=submission())  # no merchant linked
    rows = list(station_complaints(viewer=station_user, station=station))
    assert [r["pk"] for r in rows] == [ours.pk]
    row = rows[0]
    assert set(row) == set(STATION_COLUMNS)
    assert "13912345678" not in repr(row) and "测试王芳" not in repr(row) and ours.tracking_code not in repr(row)
    assert not list(station_complaints(viewer=UserFactory(), station=station))


def test_dashboard_shows_the_stations_figures(station, station_user, stall, on_day, regions):
    from integrity_portal.core import workdays
    from tests.factories import make_staff

    c = _take(station, station_user, merchant_id=stall.pk, use_odr=True)
    reply = complaint_station_mediate(complaint=c, station=station, actor=station_user, body="调解", proposal="退款")
    complaint_decide_proposal(complaint=c, reply_id=reply.pk, accept=True)
    _take(station, station_user)  # a second one, not about a stall
    figures = dashboard_figures(viewer=make_staff(CITY), region=CITY, month=workdays.today())
    table = figures.table("stations")
    assert table is not None
    district = next(name for name in table.data if name != "合计" and table.data[name]["stations"])
    assert table.data[district] == {"stations": 1, "taken": 2, "mediated": 1, "settled": 1}
    assert figures.sections and any(s.key == "stations" for s in figures.sections)
    assert stations_section.__name__ == "stations_section"


# --- the station's pages ------------------------------------------------------------------------------


def test_station_page_lists_its_complaints_without_personal_data_and_404s_for_others(client, station, station_user, stall):
    from django.urls import reverse

    c = _take(station, station_user, merchant_id=stall.pk, use_odr=True)
    client.force_login(station_user)
    page = client.get(reverse("portal_complaints:station", args=[station.pk])).content.decode()
    assert stall.name in page and "经营者和解中" in page
    assert "测试王芳" not in page and "13912345678" not in page and c.tracking_code not in page
    client.force_login(UserFactory())
    assert client.get(reverse("portal_complaints:station", args=[station.pk])).status_code == 404


def test_station_pages_take_a_complaint_and_mediate_it(client, station, station_user, stall):
    from datetime import timedelta

    from django.urls import reverse

    from integrity_portal.core import workdays

    client.force_login(station_user)
    response = client.post(
        reverse("portal_complaints:station_intake", args=[station.pk]),
        {
            "kind": "complaint",
            "category": "price",
            "description": "结账时实际收费高于标价二十元，商家拒绝退还。",
            "name": "测试王芳",
            "phone": "13912345678",
            "address": "测试地址人民路1号",
            "harm_known_on": (workdays.today() - timedelta(days=3)).isoformat(),
            "merchant": stall.pk,
            "use_odr": "on",
            "consent": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    c = Complaint.objects.get()
    assert c.channel == "station" and c.station_id == station.pk and c.status == Status.ODR
    bad = client.post(reverse("portal_complaints:station_mediate", args=[station.pk, c.pk]), {"body": "调解"})
    assert bad.status_code == 400 and not MerchantReply.objects.exists()
    ok = client.post(
        reverse("portal_complaints:station_mediate", args=[station.pk, c.pk]), {"body": "经调解", "proposal": "退款20元"}
    )
    assert ok.status_code == 302
    assert MerchantReply.objects.get().station_id == station.pk


def test_demo_seeds_a_market_operator_and_a_station_once(regions):
    import io

    from complaints.demo_partners import seed_partners

    market = MerchantFactory(kind=MerchantKind.MARKET, name="演示农贸市场")
    stalls = [MerchantFactory(parent_market=market) for _ in range(3)]
    out = io.StringIO()
    seed_partners(seed=1, merchant_count=4, stdout=out)
    station = ConsumerRightsStation.objects.get(venue=market)
    assert station.staff.filter(username="demo_station").exists()
    assert market.memberships.filter(user__username="demo_market", role="owner").exists()
    taken = Complaint.objects.filter(station=station, channel="station")
    assert taken.count() == 3 and taken.filter(status=Status.ODR).count() == 2
    assert set(taken.values_list("merchant_id", flat=True)) <= {s.pk for s in stalls}
    seed_partners(seed=1, merchant_count=4, stdout=out)
    assert ConsumerRightsStation.objects.count() == 1 and Complaint.objects.count() == 3


def test_station_staff_find_their_station_on_the_portal_home(client, station, station_user, stall):
    from django.urls import reverse

    _take(station, station_user, merchant_id=stall.pk, use_odr=True)
    client.force_login(station_user)
    page = client.get(reverse("portal:home")).content.decode()
    assert reverse("portal_complaints:station", args=[station.pk]) in page
    assert "和解期内的投诉 1 件" in page
