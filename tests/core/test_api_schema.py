"""The OpenAPI document explains the API: it is a valid OpenAPI 3 document (openapi-spec-validator), every
operation documents its refusals with the one error body, choices are named enums, and it says under which
licence, terms and contact the data is published. ``/api/v1/`` lists the endpoints."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

ALWAYS_DOCUMENTED = {"400", "401", "403", "404", "429"}
ERROR_REF = "#/components/schemas/ErrorResponse"


@pytest.fixture
def schema(client, regions):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_schema_passes_openapi_spec_validator(schema):
    validate(schema)  # raises on the first error (it raised for SubmissionRequest.email: default '' + format email)
    email = schema["components"]["schemas"]["SubmissionRequest"]["properties"]["email"]
    assert "default" not in email and {"type": "string", "format": "email"} in email["oneOf"]


def test_schema_carries_licence_contact_and_terms(schema):
    info = schema["info"]
    assert info["license"]["name"] and info["license"]["url"].startswith("https://")
    assert info["contact"]["email"] and info["contact"]["url"]
    assert info["termsOfService"].endswith("/legal/terms/")


def test_every_operation_documents_its_refusals_with_the_one_error_body(schema):
    operations = list(_operations(schema))
    assert len(operations) > 25
    for path, method, operation in operations:
        responses = operation["responses"]
        assert set(responses) >= ALWAYS_DOCUMENTED, f"{method.upper()} {path}: {sorted(responses)}"
        for status, response in responses.items():
            if int(status) >= 400:
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == ERROR_REF, f"{method.upper()} {path} {status}: {ref}"
        if method in ("post", "put", "patch", "delete"):
            assert "409" in responses, f"{method.upper()} {path}"
    error = schema["components"]["schemas"]["ErrorResponse"]
    assert set(error["properties"]) == {"type", "errors"}
    item = schema["components"]["schemas"]["ErrorItem"]
    assert set(item["properties"]) == {"code", "detail", "attr"}
    assert schema["components"]["schemas"]["ErrorTypeEnum"]["enum"] == [
        "validation_error",
        "client_error",
        "server_error",
    ]


def test_choice_fields_are_named_enums(schema):
    components = schema["components"]["schemas"]
    expected = {
        "ComplaintKindEnum": ["complaint", "report"],
        "SubmissionKindEnum": ["complaint", "report", "both"],
        "MerchantKindEnum": ["market", "enterprise", "merchant"],
        "CampaignCategoryEnum": ["market", "enterprise", "merchant"],
        "ObjectionStatusEnum": ["open", "upheld", "dismissed"],
        "RatingStateEnum": ["rated", "not_rated", "deregistered"],
    }
    for name, values in expected.items():
        assert components[name]["enum"] == values, name
    submission = components["SubmissionRequest"]["properties"]
    assert submission["kind"]["$ref"].endswith("/SubmissionKindEnum")
    assert submission["category"]["$ref"].endswith("/ComplaintCategoryEnum")
    status = components["Application"]["properties"]["status"]
    assert status["allOf"] == [{"$ref": "#/components/schemas/ApplicationStatusEnum"}]
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/lists/black/"]["get"]["parameters"]}
    assert params["kind"]["enum"] == ["abnormal_operation", "judgment_defaulter", "serious_dishonesty"]
    assert "410802" in params["region_code"]["enum"]


def test_one_naming_scheme_across_endpoints(schema):
    components = schema["components"]["schemas"]
    for name in ("Merchant", "ListEntry", "Commendation", "Application", "MerchantComplaint", "StaffList"):
        props = set(components[name]["properties"])
        assert "merchant_id" in props and not {"merchant", "region", "registration_number"} & props, name
    assert {"merchant_id", "uscc", "licence_number", "region_code", "rated_at"} <= set(
        components["Merchant"]["properties"]
    )
    assert "rated_at" in components["Rating"]["properties"]
    assert "/api/v1/merchants/{merchant_id}/" in schema["paths"]
    assert "/api/v1/portal/merchants/{merchant_id}/rating/" in schema["paths"]


def test_api_root_lists_the_endpoints(client, regions):
    response = client.get("/api/v1/")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["schema"] == "http://testserver/api/schema/" and body["docs"] == "http://testserver/api/docs/"
    endpoints = {e["path"]: e for e in body["endpoints"]}
    assert endpoints["/api/v1/merchants/"] == {"path": "/api/v1/merchants/", "methods": ["GET"], "anonymous": True}
    assert endpoints["/api/v1/staff/complaints/"]["anonymous"] is False
    assert endpoints["/api/v1/complaints/submit/"]["methods"] == ["POST"]
    assert len(endpoints) > 15
