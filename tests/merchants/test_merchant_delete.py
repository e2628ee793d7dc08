"""Deleting an entity from the register, and a rating history without orphans although its rows carry no
database-level foreign-key check (the recompute writes them in bulk)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import NotPermitted
from merchants.models import Merchant, Rating
from merchants.services import merchant_delete
from merchants.services import rating as engine
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory, UserFactory, make_staff
from tests.merchants.credit_factories import SERIOUS, inspect

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    return UserFactory(username="sysadmin", is_staff=True, is_superuser=True)


def _rated(region) -> Merchant:
    merchant = MerchantFactory(region=region)
    inspect(merchant, metrology=SERIOUS)
    ratings_recompute(merchant_ids=[merchant.pk])
    merchant.refresh_from_db()
    assert merchant.current_rating_id is not None
    return merchant


def _forget_ratings(*merchants) -> None:
    """Clear the rating pointers, so the next recompute writes a history row for each merchant again."""
    Merchant.objects.filter(pk__in=[m.pk for m in merchants]).update(
        stars=None, credit_class="", current_rating=None, rating_digest=None
    )


def test_superuser_delete_removes_the_entity_and_its_rating_history_and_is_audited(regions, superuser):
    merchant = _rated(regions["410802"])
    pk = merchant.pk
    merchant_delete(merchant=merchant, actor=superuser)
    assert not Merchant.objects.filter(pk=pk).exists()
    assert not Rating.objects.filter(merchant_id=pk).exists()
    entry = audit_entries_for(merchant).get(action="merchant.delete")
    assert entry.actor == superuser and entry.data["region"] == "410802"


def test_staff_cannot_delete_an_entity_they_must_deregister(regions):
    merchant = _rated(regions["410802"])
    with pytest.raises(NotPermitted):
        merchant_delete(merchant=merchant, actor=make_staff("410802"))
    assert Merchant.objects.filter(pk=merchant.pk).exists()
    assert Rating.objects.filter(merchant_id=merchant.pk).exists()


def test_recompute_drops_the_history_rows_of_a_merchant_deleted_under_it(regions, monkeypatch):
    """A deletion that commits between the recompute's history write and its merchant update."""
    region = regions["410802"]
    kept, doomed = MerchantFactory(region=region), MerchantFactory(region=region)
    for m in (kept, doomed):
        inspect(m, metrology=SERIOUS)
    _forget_ratings(kept, doomed)
    real_insert = engine._insert_ratings

    def insert_then_lose_one(pending):
        ids = real_insert(pending)
        # What a concurrent deletion does, but blind to the history rows this transaction just wrote.
        Rating.objects.filter(merchant_id=doomed.pk).exclude(pk__in=ids).delete()
        doomed.inspections.all().delete()
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM merchants_merchant WHERE id = %s", [doomed.pk])
        return ids

    monkeypatch.setattr(engine, "_insert_ratings", insert_then_lose_one)
    result = ratings_recompute(merchant_ids=[kept.pk, doomed.pk])
    assert not Rating.objects.filter(merchant_id=doomed.pk).exists()
    kept.refresh_from_db()
    assert result.history_rows == 1 == result.changed
    assert Rating.objects.filter(merchant_id=kept.pk).count() >= 1
    assert kept.current_rating.merchant_id == kept.pk


@pytest.mark.postgres
def test_delete_racing_a_recompute_leaves_no_orphan_history(require_postgres, transactional_db, regions):
    """Real threads on PostgreSQL: the recompute pauses after writing history, the deletion commits."""
    superuser = UserFactory(username="sysadmin", is_staff=True, is_superuser=True)
    merchant = _rated(regions["410802"])
    _forget_ratings(merchant)
    written, resume = threading.Event(), threading.Event()
    real_insert = engine._insert_ratings
    errors: list[BaseException] = []

    def insert_and_wait(pending):
        ids = real_insert(pending)
        written.set()
        assert resume.wait(timeout=20)
        return ids

    def recompute():
        try:
            engine._insert_ratings = insert_and_wait
            ratings_recompute(merchant_ids=[merchant.pk])
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=recompute)
    worker.start()
    try:
        assert written.wait(timeout=20)
        merchant_delete(merchant=merchant, actor=superuser)  # not blocked: the merchant row is not locked yet
    finally:
        resume.set()
        worker.join(timeout=30)
        engine._insert_ratings = real_insert
    assert not errors
    assert not Merchant.objects.filter(pk=merchant.pk).exists()
    assert not Rating.objects.filter(merchant_id=merchant.pk).exists()
