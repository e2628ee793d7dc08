"""The recourse maps (merchants/workflow.py), every move through its service, refused moves change nothing.

appeal:        open → upheld | dismissed
reply:         pending → published | rejected | withdrawn, published → withdrawn
re-inspection: requested → scheduled | refused, scheduled → done
"""

from __future__ import annotations

import pytest

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import TransitionNotAllowed
from merchants.models import RatingAppeal, RatingReply, ReinspectionRequest
from merchants.services import recourse
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory, make_staff
from tests.merchants.credit_factories import MINOR, inspect, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(regions):
    m = MerchantFactory()
    inspect(m)
    ratings_recompute(merchant_ids=[m.pk])
    m.refresh_from_db()
    return m


def _moves(record):
    return [(e.from_status, e.to_status) for e in audit_entries_for(record).exclude(from_status="")]


# --- appeal --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("upheld", "target"), [(True, "upheld"), (False, "dismissed")])
def test_appeal_is_decided_once(rated, upheld, target):
    appeal = recourse.appeal_file(merchant=rated, grounds="检查当日记录有误。", actor=None)
    recourse.appeal_decide(appeal=appeal, upheld=upheld, reason="经复核", actor=make_staff())
    assert RatingAppeal.objects.get(pk=appeal.pk).status == target
    for again in (True, False):
        with pytest.raises(TransitionNotAllowed):
            recourse.appeal_decide(appeal=appeal, upheld=again, reason="改判", actor=make_staff())
    assert RatingAppeal.objects.get(pk=appeal.pk).status == target
    assert _moves(appeal) == [("open", target)]


# --- right to reply --------------------------------------------------------------------------------


def _reply(merchant):
    return recourse.reply_submit(merchant=merchant, text="我店已整改，欢迎监督。", actor=None)


def _publish(reply):
    return recourse.reply_publish(reply=reply, actor=make_staff())


def _reject(reply):
    return recourse.reply_reject(reply=reply, reason="含有不当言论", actor=make_staff())


def _withdraw(reply):
    return recourse.reply_withdraw(reply=reply, actor=None)


@pytest.mark.parametrize(
    ("steps", "moves"),
    [
        ([_publish], [("pending", "published")]),
        ([_reject], [("pending", "rejected")]),
        ([_withdraw], [("pending", "withdrawn")]),
        ([_publish, _withdraw], [("pending", "published"), ("published", "withdrawn")]),
    ],
    ids=["publish", "reject", "withdraw-pending", "withdraw-published"],
)
def test_every_reply_move(rated, steps, moves):
    reply = _reply(rated)
    for step in steps:
        step(reply)
    assert RatingReply.objects.get(pk=reply.pk).status == moves[-1][1]
    assert sorted(_moves(reply)) == sorted(moves)


@pytest.mark.parametrize(
    ("first", "refused"),
    [
        (_reject, _publish),
        (_reject, _withdraw),
        (_withdraw, _publish),
        (_withdraw, _reject),
        (_withdraw, _withdraw),
        (_publish, _reject),
        (_publish, _publish),
    ],
)
def test_refused_reply_moves_change_nothing(rated, first, refused):
    reply = _reply(rated)
    first(reply)
    status, moves = RatingReply.objects.get(pk=reply.pk).status, _moves(reply)
    with pytest.raises(TransitionNotAllowed):
        refused(reply)
    assert RatingReply.objects.get(pk=reply.pk).status == status
    assert _moves(reply) == moves


# --- re-inspection ---------------------------------------------------------------------------------


@pytest.fixture
def requested(regions):
    m = MerchantFactory()
    inspect(m, price_marking=MINOR, days_ago=5)
    return recourse.reinspection_request(merchant=m, improvements="价签已全部补齐并公示。", actor=None)


def _schedule(req):
    return recourse.reinspection_schedule(request=req, visit_on=today(), actor=None)


def _refuse(req):
    return recourse.reinspection_refuse(request=req, reason="整改材料不全", actor=None)


def _complete(req):
    return recourse.reinspection_complete(request=req, inspection=inspect(req.merchant, days_ago=0), actor=None)


@pytest.mark.parametrize(
    ("steps", "moves"),
    [
        ([_schedule], [("requested", "scheduled")]),
        ([_refuse], [("requested", "refused")]),
        ([_schedule, _complete], [("requested", "scheduled"), ("scheduled", "done")]),
    ],
    ids=["schedule", "refuse", "done"],
)
def test_every_reinspection_move(requested, steps, moves):
    for step in steps:
        step(requested)
    assert ReinspectionRequest.objects.get(pk=requested.pk).status == moves[-1][1]
    assert sorted(_moves(requested)) == sorted(moves)


@pytest.mark.parametrize(
    ("before", "refused"),
    [
        ([], _complete),
        ([_refuse], _schedule),
        ([_refuse], _complete),
        ([_schedule], _refuse),
        ([_schedule], _schedule),
        ([_schedule, _complete], _refuse),
        ([_schedule, _complete], _schedule),
    ],
)
def test_refused_reinspection_moves_change_nothing(requested, before, refused):
    for step in before:
        step(requested)
    status, moves = ReinspectionRequest.objects.get(pk=requested.pk).status, _moves(requested)
    with pytest.raises(TransitionNotAllowed):
        refused(requested)
    assert ReinspectionRequest.objects.get(pk=requested.pk).status == status
    assert _moves(requested) == moves
