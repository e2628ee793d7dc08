"""Work sources of the register on the staff workbench (core.workbench): rating appeals, credit repairs,
re-inspections, replies to moderate and list proposals waiting for a decision. Registered in ``ready()``
(imported there, after the models are loaded)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from integrity_portal.core.workbench import WorkSource, register_work_source

from .models import (
    AppealStatus,
    CreditRepairRequest,
    ListProposal,
    ProposalStatus,
    RatingAppeal,
    RatingReply,
    ReinspectionRequest,
    ReinspectionStatus,
    RepairStatus,
    ReplyStatus,
    RoleModelStatus,
    RoleModelStory,
)


def _source(name, label, model, statuses, *, due=None, order):
    """Rows of ``model`` in ``statuses``, decided on the row's own admin page (core scopes the region)."""
    info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    return WorkSource(
        name=name,
        label=label,
        queryset=lambda user: model.objects.filter(status__in=statuses),
        change_url=f"{info}_change",
        list_url=f"{info}_changelist",
        due=due,
        region="merchant__region",
        merchant=("merchant__name",),
        order=order,
    )


SOURCES = (
    _source("appeal", _("评级申诉"), RatingAppeal, [AppealStatus.OPEN], due="decide_by", order=30),
    _source(
        "repair", _("信用修复申请"), CreditRepairRequest, [RepairStatus.SUBMITTED], due="decide_by", order=40
    ),
    _source(
        "reinspection",
        _("复查申请"),
        ReinspectionRequest,
        [ReinspectionStatus.REQUESTED, ReinspectionStatus.SCHEDULED],
        due="visit_by",
        order=50,
    ),
    _source("reply", _("商户回应待审核"), RatingReply, [ReplyStatus.PENDING], order=60),
    _source("list_proposal", _("拟列入严重违法失信名单"), ListProposal, [ProposalStatus.OPEN], order=70),
    # Role-model stories waiting for a second pair of eyes, or approved and not yet published.
    _source(
        "role_model",
        _("诚信典型事迹待审核或发布"),
        RoleModelStory,
        [RoleModelStatus.DRAFT, RoleModelStatus.APPROVED],
        order=80,
    ),
)


def register_work_sources() -> None:
    for source in SOURCES:
        register_work_source(source)
