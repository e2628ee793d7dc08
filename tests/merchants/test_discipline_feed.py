"""The joint-discipline feed: every decision exactly once over a date range and across pages, signatures that
verify by an independent computation, API key scope (403, audited), keys stored hashed, the daily file."""

from __future__ import annotations

import hashlib
import hmac
import json
from contextlib import contextmanager
from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from integrity_portal.core.models import AuditEntry
from merchants import discipline
from merchants.models import ListEntryKind, PartnerApiKey, PenaltyKind
from merchants.services.credit import list_entry_add_red, list_entry_remove, penalty_revoke
from merchants.services.partners import partner_api_key_issue, partner_api_key_revoke, partner_department_save
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist, penalise

JIEFANG, ZHONGZHAN = "410802", "410803"
URL = "/api/v1/discipline/feed/"


@contextmanager
def on_day(monkeypatch, day, hour=10):
    """Record what happens inside at ``hour`` o'clock on ``day`` (audit rows take their time from now())."""
    moment = timezone.make_aware(datetime.combine(day, time(hour)))
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: moment)
        yield


@pytest.fixture
def department(regions):
    return partner_department_save(
        code="tax", name="税务局", region_codes=[JIEFANG], decision_kinds=["red_list", "black_list", "penalty"], actor=None
    )


@pytest.fixture
def key(department):
    return partner_api_key_issue(department=department, label="test", actor=None)


@pytest.fixture
def history(regions, monkeypatch):
    """Adds, changes and removals over three closed days, one out-of-scope merchant, and one today."""
    today = timezone.localdate()
    d1, d2, d3 = (today - timedelta(days=n) for n in (5, 4, 3))
    mine, other = MerchantFactory(), MerchantFactory(region=regions[ZHONGZHAN])
    with on_day(monkeypatch, d1):
        black = blacklist(mine, kind=ListEntryKind.ABNORMAL_OPERATION)
        penalty = penalise(mine)
        list_entry_add_red(
            merchant=mine, kind=ListEntryKind.COMMENDED, reason="诚信经营表彰", legal_basis="焦作市表彰办法",
            decision_number="焦表〔2026〕1号", valid_from=d1, valid_until=None, actor=None,
        )
        warning = penalise(mine, kind=PenaltyKind.WARNING)  # a warning is not published: not a decision
    with on_day(monkeypatch, d2, hour=23):
        list_entry_remove(entry=black, reason="已补报年报", actor=None)
        penalty_revoke(penalty=penalty, reason="复议撤销", actor=None)
        outside = blacklist(other)  # outside the department's region
    with on_day(monkeypatch, d3, hour=0):
        blacklist(mine)
    blacklist(mine)  # today: not yet a closed day
    excluded = [
        AuditEntry.objects.get(action="penalty.record", object_id=str(warning.pk)).pk,
        AuditEntry.objects.get(action="list_entry.add_black", object_id=str(outside.pk)).pk,
    ]
    return {"d1": d1, "d2": d2, "d3": d3, "mine": mine, "excluded": excluded}


def feed_ids(days):
    return [d["id"] for day in days for d in day["decisions"]]


def get(client, raw, **params):
    return client.get(URL, params, HTTP_AUTHORIZATION=f"Api-Key {raw}")


def test_every_decision_appears_exactly_once_over_the_range_and_pages_never_repeat(client, key, history, monkeypatch):
    _key, raw = key
    monkeypatch.setattr(discipline, "PAGE_DAYS", 2)
    pages, params = [], {"since": (history["d1"] - timedelta(days=1)).isoformat()}
    while True:
        response = get(client, raw, **params)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        if not body["next"]:
            break
        params["cursor"] = body["next"].split("cursor=")[1].split("&")[0]
    assert len(pages) == 3  # 6 closed days (d1-1 … yesterday), 2 per page
    ids = [i for page in pages for i in feed_ids(page["days"])]
    assert len(ids) == len(set(ids))
    dates = [d["date"] for page in pages for d in page["days"]]
    assert len(dates) == len(set(dates)) == 6
    by_day = {d["date"]: d["decisions"] for page in pages for d in page["days"]}
    changes = {(d["kind"], d["change"]) for d in by_day[history["d1"].isoformat()]}
    assert changes == {("black_list", "added"), ("penalty", "published"), ("red_list", "added")}
    assert {(d["kind"], d["change"]) for d in by_day[history["d2"].isoformat()]} == {
        ("black_list", "removed"), ("penalty", "withdrawn"),
    }
    assert len(by_day[history["d3"].isoformat()]) == 1
    assert all(d["merchant"]["region_code"] == JIEFANG for d in by_day.values() for d in d)
    # every decision of the range, except the out-of-scope merchant's entry and the unpublished warning
    expected = AuditEntry.objects.filter(
        action__in=["list_entry.add_black", "list_entry.add_red", "list_entry.remove", "penalty.record", "penalty.revoke"],
        created_at__lt=timezone.make_aware(datetime.combine(history["d3"] + timedelta(days=1), time())),
    ).exclude(pk__in=history["excluded"])
    assert sorted(ids) == sorted(expected.values_list("pk", flat=True)) and len(ids) == 6


def test_each_day_signature_verifies_by_an_independent_computation(client, key, department, history):
    _key, raw = key
    body = get(client, raw, since=history["d1"].isoformat()).json()
    assert body["algorithm"] == "HMAC-SHA256"
    for day in body["days"]:
        message = json.dumps(
            {"department": "tax", "date": day["date"], "decisions": day["decisions"]},
            ensure_ascii=False, sort_keys=True, separators=(",", ":"),
        ).encode("utf-8")
        expected = hmac.new(department.signing_secret.encode(), message, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, day["signature"])
    tampered = dict(body["days"][0]["decisions"][0], note="x")
    message = json.dumps(
        {"department": "tax", "date": body["days"][0]["date"], "decisions": [tampered, *body["days"][0]["decisions"][1:]]},
        ensure_ascii=False, sort_keys=True, separators=(",", ":"),
    ).encode()
    assert hmac.new(department.signing_secret.encode(), message, hashlib.sha256).hexdigest() != body["days"][0]["signature"]


def test_daily_file_carries_the_same_batch_and_signature(client, key, history, settings, tmp_path):
    settings.DISCIPLINE_FEED_ROOT = str(tmp_path)
    _key, raw = key
    [path] = discipline.daily_files_write(day=history["d1"])
    written = json.loads(path.read_text("utf-8"))
    served = get(client, raw, since=history["d1"].isoformat()).json()["days"][0]
    assert path == tmp_path / "tax" / f"{history['d1'].isoformat()}.json"
    assert written["decisions"] == served["decisions"] and written["signature"] == served["signature"]
    assert AuditEntry.objects.filter(action="discipline_feed.daily_file").count() == 1


def test_every_call_is_audited(client, key, history):
    api_key, raw = key
    get(client, raw, since=history["d1"].isoformat())
    entry = AuditEntry.objects.get(action="discipline_feed.read")
    assert entry.object_id == str(api_key.pk) and entry.data["decisions"] == 6


@pytest.mark.parametrize("params", [{"kinds": "penalty"}, {"region": ZHONGZHAN}])
def test_a_key_used_outside_its_scope_is_403_in_the_api_error_shape_and_audited(
    client, regions, history, params, caplog
):
    narrow = partner_department_save(
        code="court", name="法院", region_codes=[JIEFANG], decision_kinds=["black_list"], actor=None
    )
    api_key, raw = partner_api_key_issue(department=narrow, actor=None)
    response = get(client, raw, since=history["d1"].isoformat(), **params)
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "client_error" and body["errors"][0]["code"] == "permission_denied"
    refused = AuditEntry.objects.get(action="discipline_feed.refused")
    assert refused.object_id == str(api_key.pk)
    assert not AuditEntry.objects.filter(action="discipline_feed.read").exists()
    assert any("discipline feed refused" in r.getMessage() for r in caplog.records)
    # within scope the same key reads only black-list decisions
    ok = get(client, raw, since=history["d1"].isoformat()).json()
    assert {d["kind"] for day in ok["days"] for d in day["decisions"]} == {"black_list"}


def test_keys_are_stored_hashed_and_revoked_or_missing_keys_are_401(client, key, history):
    api_key, raw = key
    stored = PartnerApiKey.objects.get(pk=api_key.pk)
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps([str(v) for v in PartnerApiKey.objects.values().first().values()])
    assert client.get(URL, {"since": "2026-01-01"}).status_code == 401
    assert get(client, raw + "x", since="2026-01-01").status_code == 401
    partner_api_key_revoke(key=api_key, actor=None)
    assert get(client, raw, since="2026-01-01").status_code == 401


def test_bad_since_and_cursor_are_400(client, key):
    _key, raw = key
    assert get(client, raw, since="yesterday").status_code == 400
    assert get(client, raw, since="2026-01-01", cursor="!!").status_code == 400
    assert reverse("api-discipline-feed") == URL


def test_admin_creates_a_department_through_the_service_and_issues_a_key_shown_once(client, regions):
    from merchants.models import PartnerDepartment
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.post(
        reverse("admin:merchants_partnerdepartment_add"),
        {"code": "court", "name": "中级人民法院", "regions": [JIEFANG], "decision_kinds": ["black_list"], "active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    department = PartnerDepartment.objects.get(code="court")
    assert len(department.signing_secret) == 64 and list(department.regions.values_list("code", flat=True)) == [JIEFANG]
    assert AuditEntry.objects.filter(action="partner_department.save", object_id=str(department.pk)).exists()
    response = client.post(
        reverse("admin:merchants_partnerdepartment_changelist"),
        {"action": "issue_key", "_selected_action": [department.pk]},
        follow=True,
    )
    key = PartnerApiKey.objects.get(department=department)
    shown = [str(m) for m in response.context["messages"]]
    raw = next(m.split("：")[-1] for m in shown if key.prefix in m)
    assert hashlib.sha256(raw.encode()).hexdigest() == key.key_hash
    assert get(client, raw, since="2026-01-01").status_code == 200


def test_staff_below_superuser_cannot_reach_partner_admin(client, regions):
    from integrity_portal.core.roles import StaffRole
    from tests.factories import make_staff

    client.force_login(make_staff("410800", StaffRole.CITY_BUREAU))
    assert client.get(reverse("admin:merchants_partnerdepartment_changelist")).status_code == 403


def test_an_approved_credit_repair_appears_in_the_feed_exactly_once(client, key, regions, monkeypatch):
    """Approving a repair ends the black entry / the penalty's publicity by an update (no list or penalty
    audit of its own): the feed carries the repair's one ``repair.approved`` entry as "removed" / "withdrawn",
    once, on the day of the approval, and nothing for a refused request."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from merchants.models import Penalty
    from merchants.services.credit import repair_request_decide, repair_request_submit
    from tests.factories import make_staff
    from tests.upload_samples import pdf_bytes

    _key, raw = key
    today = timezone.localdate()
    d1, d2 = today - timedelta(days=5), today - timedelta(days=3)
    mine = MerchantFactory()
    with on_day(monkeypatch, d1):
        entry = blacklist(mine, valid_from=today - timedelta(days=400))
        penalty = penalise(mine)
        refused_penalty = penalise(mine)
    Penalty.objects.filter(pk__in=[penalty.pk, refused_penalty.pk]).update(
        publicity_from=today - timedelta(days=120)
    )
    penalty.refresh_from_db()
    refused_penalty.refresh_from_db()

    def submit(**target):
        return repair_request_submit(
            merchant=mine, application="已全部整改并缴清罚款。", pledge_text="守法诚信经营。", pledge_signed=True,
            evidence_files=[SimpleUploadedFile("receipt.pdf", pdf_bytes())], actor=None, **target,
        )

    staff = make_staff()
    with on_day(monkeypatch, d2):
        for target, approve in ((dict(list_entry=entry), True), (dict(penalty=penalty), True),
                                (dict(penalty=refused_penalty), False)):
            repair_request_decide(request=submit(**target), approve=approve, reason="整改到位", actor=staff)
    entry.refresh_from_db()
    penalty.refresh_from_db()
    assert entry.ended_at is not None and penalty.publicity_ended_at is not None

    response = get(client, raw, since=(d1 - timedelta(days=1)).isoformat())
    assert response.status_code == 200, response.content
    days = {d["date"]: d["decisions"] for d in response.json()["days"]}
    every = [d for decisions in days.values() for d in decisions]
    removed = [d for d in every if d["change"] == "removed"]
    withdrawn = [d for d in every if d["change"] == "withdrawn"]
    assert len(removed) == 1 and removed[0]["list_entry"]["decision_number"] == entry.decision_number
    assert len(withdrawn) == 1 and withdrawn[0]["penalty"]["decision_number"] == penalty.decision_number
    assert removed[0] in days[d2.isoformat()] and withdrawn[0] in days[d2.isoformat()]
    approvals = AuditEntry.objects.filter(action="repair.approved").values_list("pk", flat=True)
    assert sorted(d["id"] for d in removed + withdrawn) == sorted(approvals)
    assert not any(d["change"] == "repaired" for d in every)
    assert len(every) == len({d["id"] for d in every})
