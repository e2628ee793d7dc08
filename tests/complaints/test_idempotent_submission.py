"""A double click or a retried request files one complaint (issue #11, item 10).

The public form carries a one-time token, the API an ``Idempotency-Key`` header. The stored key is a hash
of the token, the whole content and the kind, so a replay finds the first rows only when it repeats the
whole submission: it then gets what the first answer gave (the same tracking codes), and nothing is filed.
"""

from __future__ import annotations

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from complaints.models import Complaint
from complaints.services import AlreadySubmitted, complaint_submit
from integrity_portal.core.models import AuditEntry

from .conftest import JIEFANG, submission
from .test_api import PAYLOAD

pytestmark = pytest.mark.django_db

TOKEN_INPUT = re.compile(r'name="submission_token" value="([^"]+)"')


def _form_data(token: str, **overrides) -> dict:
    data = {
        "kind": "complaint",
        "category": "price",
        "description": "结账时实际收费高于标价二十元，商家拒绝退还。",
        "name": "测试王芳",
        "phone": "13912345678",
        "harm_known_on": str(timezone.localdate()),
        "address": "测试地址人民路1号",
        "target_name": "无名小店",
        "target_address": "解放路8号",
        "region": JIEFANG,
        "consent": "on",
        "submission_token": token,
    }
    data.update(overrides)
    return data


def _token(client) -> str:
    page = client.get("/complaints/new/").content.decode()
    return TOKEN_INPUT.search(page).group(1)


def test_each_form_copy_carries_its_own_random_token(client, regions):
    first, second = _token(client), _token(client)
    assert first != second and len(first) >= 32


def test_double_post_of_the_form_files_one_complaint_and_shows_its_code(client, regions):
    token = _token(client)
    first = client.post("/complaints/new/", _form_data(token))
    assert first.status_code == 302
    complaint = Complaint.objects.get()
    assert complaint.submission_key and token not in complaint.submission_key  # only a hash is stored
    audit_rows = AuditEntry.objects.count()

    # The browser never showed the first answer (double click): a fresh session posts the same copy again.
    other_tab = Client()
    again = other_tab.post("/complaints/new/", _form_data(token), follow=True)
    assert again.status_code == 200
    assert complaint.tracking_code in again.content.decode()
    assert Complaint.objects.count() == 1
    assert AuditEntry.objects.count() == audit_rows


def test_same_token_with_other_content_reveals_nothing_and_files_that_content(client, regions):
    token = _token(client)
    client.post("/complaints/new/", _form_data(token))
    first = Complaint.objects.get()
    attacker = Client()
    response = attacker.post("/complaints/new/", _form_data(token, phone="13800000000"), follow=True)
    assert first.tracking_code not in response.content.decode()
    assert Complaint.objects.count() == 2


def test_a_forged_or_missing_token_just_files(client, regions):
    assert client.post("/complaints/new/", _form_data("forged-token-123")).status_code == 302
    assert client.post("/complaints/new/", _form_data("")).status_code == 302
    assert Complaint.objects.count() == 2


def test_api_idempotency_key_replay_returns_the_first_answer_only(regions):
    api = APIClient()
    first = api.post("/api/v1/complaints/submit/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    replay = api.post("/api/v1/complaints/submit/", PAYLOAD, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert Complaint.objects.count() == 1

    # Another caller guessing the key with other content learns nothing of the first complaint.
    other = {**PAYLOAD, "phone": "13800000000"}
    guess = APIClient().post("/api/v1/complaints/submit/", other, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert guess.status_code == 201
    assert guess.json()[0]["tracking_code"] != first.json()[0]["tracking_code"]
    assert Complaint.objects.count() == 2

    # Without a key every request files (the key is opt-in).
    assert api.post("/api/v1/complaints/submit/", PAYLOAD, format="json").status_code == 201
    assert Complaint.objects.count() == 3


def test_complaint_and_report_split_is_replayed_as_a_pair(regions):
    created = complaint_submit(submission=submission(kind="both"), idempotency_key="pair")
    assert len(created) == 2
    with pytest.raises(AlreadySubmitted) as exc:
        complaint_submit(submission=submission(kind="both"), idempotency_key="pair")
    assert {c.pk for c in exc.value.complaints} == {c.pk for c in created}
    assert Complaint.objects.count() == 2


@pytest.mark.postgres
def test_parallel_double_submit_files_once(require_postgres, transactional_db, regions):
    barrier = threading.Barrier(3)
    outcomes: list = []

    def run():
        try:
            barrier.wait(timeout=5)
            complaint_submit(submission=submission(), idempotency_key="same-click")
            outcomes.append("filed")
        except AlreadySubmitted as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert outcomes.count("filed") == 1, outcomes
    assert all(isinstance(o, AlreadySubmitted) and o.complaints for o in outcomes if o != "filed")
    assert Complaint.objects.count() == 1
