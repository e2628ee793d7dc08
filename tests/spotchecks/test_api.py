"""``/api/v1/spot-checks/``: anonymous read of the public plans and the published results, in the v1.1 naming
scheme, with the one error body, ETag/304, listed at the API root and in the OpenAPI document."""

from __future__ import annotations

import json

import pytest

from spotchecks.models import SpotCheckTask

from .publication import make_plan
from .test_public import CLASS_WORDS, _personal

pytestmark = pytest.mark.django_db


def test_list_has_plans_from_approval_on_never_drafts(world, client):
    published = make_plan(world, "published")
    approved = make_plan(world, "approved")
    draft = make_plan(world, "draft")
    response = client.get("/api/v1/spot-checks/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    rows = {r["plan_id"]: r for r in response.json()["results"]}
    assert set(rows) == {published.pk, approved.pk} and draft.pk not in rows
    row = rows[published.pk]
    assert row["status"] == "published" and row["region_code"] == "410802" and row["region_name"] == "解放区"
    assert row["seed"] == published.seed and row["seed_commitment"] == published.seed_commitment
    assert row["shares"] == {"A": "5.00", "B": "10.00", "C": "30.00", "D": "100.00"}
    assert row["items"] == ["price_marking", "metrology"] and row["drawn_count"] == published.drawn_count
    assert row["results_url"].endswith(f"/api/v1/spot-checks/{published.pk}/results/")
    assert row["draw_record_url"].endswith(f"/spot-checks/{published.pk}/record.json")
    pending = rows[approved.pk]
    assert pending["seed"] is None and pending["drawn_count"] is None and pending["results_url"] is None
    assert approved.freeze.secret_seed not in response.content.decode()


def test_detail_and_results_shape(world, client):
    plan = make_plan(world, "published")
    detail = client.get(f"/api/v1/spot-checks/{plan.pk}/")
    assert detail.status_code == 200 and detail.json()["plan_id"] == plan.pk
    results = client.get(f"/api/v1/spot-checks/{plan.pk}/results/")
    assert results.status_code == 200
    body = results.json()
    assert body["count"] == plan.drawn_count
    tasks = {t.merchant_id: t for t in SpotCheckTask.objects.filter(plan=plan).select_related("merchant")}
    for row in body["results"]:
        merchant = tasks[row["merchant_id"]].merchant
        assert set(row) == {
            "merchant_id", "merchant_name", "uscc", "status", "status_label", "inspected_on", "items", "outcome",
            "outcome_label",
        }
        assert row["merchant_name"] == merchant.name and row["uscc"] == merchant.uscc
        assert row["status"] == "done" and row["outcome"] == "rectify"
        assert row["items"][0] == {"item": "price_marking", "label": "明码标价", "finding": "minor"}
    text = results.content.decode() + detail.content.decode()
    assert not [v for v in _personal(plan) if v in text]
    assert not [w for w in CLASS_WORDS if w in text]
    assert not {"credit_class", "inspector_1", "inspectors", "token", "salt"} & set(json.dumps(body).split('"'))


def test_unpublished_results_and_drafts_answer_404_with_the_one_error_body(world, client):
    draft = make_plan(world, "draft")
    completed = make_plan(world, "completed")
    for url in (
        f"/api/v1/spot-checks/{draft.pk}/",
        f"/api/v1/spot-checks/{draft.pk}/results/",
        f"/api/v1/spot-checks/{completed.pk}/results/",
        "/api/v1/spot-checks/999999/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        body = response.json()
        assert body["type"] == "client_error" and body["errors"][0]["code"] == "not_found", url
    assert client.get(f"/api/v1/spot-checks/{completed.pk}/").status_code == 200


def test_conditional_get_and_cors(world, client):
    make_plan(world, "published")
    first = client.get("/api/v1/spot-checks/", HTTP_ORIGIN="https://example.org")
    assert first["ETag"] and first["Last-Modified"] and first["Access-Control-Allow-Origin"] == "*"
    again = client.get("/api/v1/spot-checks/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_listed_at_the_root_and_in_the_schema(world, client):
    endpoints = {e["path"]: e for e in client.get("/api/v1/").json()["endpoints"]}
    assert endpoints["/api/v1/spot-checks/"]["anonymous"] is True
    assert endpoints["/api/v1/spot-checks/{plan_id}/results/"]["methods"] == ["GET"]
    schema = client.get("/api/schema/", {"format": "json"}).json()
    from openapi_spec_validator import validate

    validate(schema)
    components = schema["components"]["schemas"]
    assert components["SpotCheckPlanStatusEnum"]["enum"][0] == "draft"
    assert components["SpotCheckTaskStatusEnum"]["enum"] == ["open", "done", "merchant_closed", "escalated"]
    assert components["InspectionItemEnum"]["enum"][0] == "price_marking"
    plan_props = set(components["SpotCheckPlan"]["properties"])
    assert {"plan_id", "region_code", "seed_commitment", "seed"} <= plan_props and "region" not in plan_props
    result_props = set(components["SpotCheckResult"]["properties"])
    assert {"merchant_id", "uscc"} <= result_props and "merchant" not in result_props
    operation = schema["paths"]["/api/v1/spot-checks/{plan_id}/results/"]["get"]
    assert {"400", "401", "403", "404", "429"} <= set(operation["responses"])
