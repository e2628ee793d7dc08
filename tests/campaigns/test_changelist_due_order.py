"""Campaign lists with a deadline (applications: review deadline; objections: end of publicity; PSA
reports: the quota's deadline) sort by it with empty dates last and show it in the first columns."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import OrderBy

from campaigns.models import AdReport, Application, Objection

DEADLINES = {Application: "review_deadline", Objection: "publicity_end", AdReport: "deadline"}


@pytest.mark.parametrize("model", list(DEADLINES))
def test_deadline_column_first_and_ordering_nulls_last(model, admin_client):
    model_admin = admin.site._registry[model]
    assert model_admin.list_display.index(DEADLINES[model]) <= 2
    first = model_admin.ordering[0]
    assert isinstance(first, OrderBy) and first.nulls_last
    opts = model._meta
    assert admin_client.get(f"/admin/{opts.app_label}/{opts.model_name}/").status_code == 200  # the SQL runs
