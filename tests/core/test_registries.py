"""The apps fill core's registries in ready(): what each contributes and that core's users read it."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from integrity_portal.core import middleware, panels, ratingfacts, roles
from integrity_portal.core.roles import StaffRole


def test_the_merchant_page_panels_come_from_the_apps_in_order():
    assert [(p.name, p.template) for p in panels.merchant_panels()] == [
        ("credit", "portal/partials/credit_panel.html"),
        ("complaints", "portal/partials/complaints_panel.html"),
        ("campaigns", "portal/partials/campaigns_panel.html"),
    ]


def test_a_registered_panel_gets_its_own_context(monkeypatch):
    monkeypatch.setattr(panels, "_panels", {})
    panels.register_merchant_panel(
        "extra", template="x.html", context=lambda *, viewer, merchant: {"who": (viewer, merchant)}, order=5
    )
    [rendered] = panels.merchant_panels_for(viewer="v", merchant="m")
    assert rendered.template == "x.html" and rendered.data == {"who": ("v", "m")}


def test_fact_providers_declare_their_columns_with_labels():
    providers = {p.name: p for p in ratingfacts.fact_providers()}
    assert set(providers["campaigns"].labels) == set(providers["campaigns"].columns)
    assert set(providers["complaints"].labels) == set(providers["complaints"].columns)
    assert ratingfacts.provider_fact_label("commended_3y") == "近三年获文明诚信表彰"
    assert ratingfacts.provider_fact_label("inspections") is None  # merchants' own, labelled there


def test_each_app_contributes_its_own_role_patterns_only():
    for app, grants in roles._role_grants.items():
        for patterns in grants.values():
            assert all(p.lstrip("!").startswith(f"{app}.") for p in patterns), app
    assert roles.role_patterns(StaffRole.INSPECTOR) == [
        "merchants.view_*",
        "merchants.add_inspection",
        "merchants.change_inspection",
        "!merchants.view_staffprofile",
        "!merchants.*_merchantfollower",
        "!merchants.add_rolemodelstory",
        "!merchants.change_rolemodelstory",
        "!merchants.*_partnerdepartment",
        "!merchants.*_partnerapikey",
        "spotchecks.view_spotcheckplan",
        "spotchecks.view_spotchecktask",
        "spotchecks.change_spotchecktask",
        "spotchecks.view_inspectorconflict",
        "complaints.view_*",
    ]


@pytest.mark.parametrize(
    "path,public",
    [
        ("/", True),
        ("/merchants/1/", True),
        ("/notices/", True),
        ("/api/v1/commendations/", True),
        ("/complaints/track/", False),
        ("/portal/", False),
    ],
)
def test_replica_safe_paths_are_the_ones_the_apps_registered(path, public):
    request = RequestFactory().get(path)
    assert middleware.is_public_read(request) is public
