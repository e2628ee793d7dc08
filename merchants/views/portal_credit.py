"""Portal pages for a member's merchant: commitment, credit repair, appeal, reply, re-inspection.

Each page checks the membership (else 404), shows the form, calls one service and
shows a refusal's message as a form error. No rule lives here.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core.errors import DomainError

from ..forms.credit import AppealForm, CommitmentForm, ReinspectionForm, RepairForm, ReplyForm
from ..models import ListEntry, Penalty
from ..selectors import portal as portal_selectors
from ..selectors.register import member_merchant_or_404
from ..services import credit as credit_services
from ..services import recourse
from ..services.credit import commitment_text


def _back(merchant):
    return reverse("portal:merchant", args=[merchant.pk])


def _page(request, template, merchant, **context):
    return render(
        request, f"credit/{template}", {"merchant": merchant, "back_url": _back(merchant), **context}
    )


def _submit(request, form, merchant, call, success: str):
    """On a valid POST run ``call(cleaned_data)``: a refusal becomes a form error; success is
    announced and redirects back to the merchant's page. None means: show the page."""
    if request.method == "POST" and form.is_valid():
        try:
            call(form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, success)
            return redirect(_back(merchant))
    return None


@login_required
def commitment(request, pk: int):
    merchant = member_merchant_or_404(request.user, pk)
    form = CommitmentForm(request.POST or None)

    def call(data):
        credit_services.commitment_sign(merchant=merchant, kind=data["kind"], actor=request.user)

    done = _submit(request, form, merchant, call, _("信用承诺书已签署，将在公开信息中展示。"))
    if done:
        return done
    texts = {kind: commitment_text(kind) for kind, _label in form.fields["kind"].choices}
    return _page(
        request,
        "portal_commitment.html",
        merchant,
        form=form,
        texts=texts,
        existing=portal_selectors.member_commitments(viewer=request.user, merchant=merchant)[:10],
    )


def _target_label(obj, earliest) -> str:
    when = _("最早可于 %(d)s 申请") % {"d": earliest.isoformat()} if earliest else _("不适用提前修复")
    if isinstance(obj, ListEntry):
        return f"{obj.get_kind_display()} · {obj.decision_number}（{when}）"
    return f"{obj.get_tier_display()}处罚 · {obj.decision_number}（{when}）"


@login_required
def repair(request, pk: int):
    merchant = member_merchant_or_404(request.user, pk)
    targets = portal_selectors.member_repair_candidates(
        viewer=request.user, merchant=merchant, as_of=timezone.localdate()
    )
    choices = [(key, _target_label(obj, earliest)) for key, obj, earliest in targets]
    initial = {
        "pledge_text": _(
            "本单位已纠正失信行为、履行相关义务，承诺今后守法诚信经营，如有违反，愿承担相应法律责任。"
        )
    }
    form = RepairForm(request.POST or None, request.FILES or None, targets=choices, initial=initial)

    def call(data):
        obj = next(o for k, o, _e in targets if k == data["target"])
        credit_services.repair_request_submit(
            merchant=merchant,
            list_entry=obj if isinstance(obj, ListEntry) else None,
            penalty=obj if isinstance(obj, Penalty) else None,
            application=data["application"],
            pledge_text=data["pledge_text"],
            pledge_signed=data["pledge_signed"],
            evidence_files=data["evidence"],
            actor=request.user,
        )

    done = _submit(request, form, merchant, call, _("信用修复申请已提交，监管部门将在 7 个工作日内审核。"))
    if done:
        return done
    return _page(
        request,
        "portal_repair.html",
        merchant,
        form=form,
        has_targets=bool(targets),
        requests=portal_selectors.member_repair_requests(viewer=request.user, merchant=merchant)[:10],
    )


@login_required
def appeal(request, pk: int):
    merchant = member_merchant_or_404(request.user, pk)
    form = AppealForm(request.POST or None)

    def call(data):
        recourse.appeal_file(merchant=merchant, grounds=data["grounds"], actor=request.user)

    done = _submit(request, form, merchant, call, _("申诉已提交，将在 21 日内由未参与评定的工作人员处理。"))
    if done:
        return done
    rating = merchant.current_rating
    return _page(
        request,
        "portal_appeal.html",
        merchant,
        form=form,
        rating=rating,
        deadline=recourse.appeal_deadline(rating) if rating else None,
        appeals=portal_selectors.member_appeals(viewer=request.user, merchant=merchant)[:10],
    )


@login_required
def reply(request, pk: int):
    merchant = member_merchant_or_404(request.user, pk)
    form = ReplyForm(request.POST or None)

    def call(data):
        recourse.reply_submit(merchant=merchant, text=data["text"], actor=request.user)

    done = _submit(request, form, merchant, call, _("回应已提交，审核通过后将显示在公开页面的星级下方。"))
    if done:
        return done
    return _page(
        request,
        "portal_reply.html",
        merchant,
        form=form,
        replies=portal_selectors.member_replies(viewer=request.user, merchant=merchant)[:10],
    )


@login_required
def reinspection(request, pk: int):
    merchant = member_merchant_or_404(request.user, pk)
    form = ReinspectionForm(request.POST or None)

    def call(data):
        recourse.reinspection_request(
            merchant=merchant, improvements=data["improvements"], actor=request.user
        )

    done = _submit(request, form, merchant, call, _("复查申请已提交，监管部门将在三个月内安排复查。"))
    if done:
        return done
    return _page(
        request,
        "portal_reinspection.html",
        merchant,
        form=form,
        requests=portal_selectors.member_reinspection_requests(viewer=request.user, merchant=merchant)[:10],
    )
