"""The merchant's complaint pages in the portal: own complaints only, no complainant contact data."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from integrity_portal.core.errors import DomainError, ValidationFailed

from .. import selectors, services
from ..forms import ReplyForm, apply_domain_error
from ..models import ProposalStatus
from ..services.common import mask_name
from ..services.merchant import REPLY_STATUSES


@login_required
def complaint_list(request):
    from merchants.selectors import merchants_for_user

    qs = selectors.complaints_for_merchant_user(request.user).order_by("-received_at", "-id")
    merchant_id = request.GET.get("merchant")
    if merchant_id and merchant_id.isascii() and merchant_id.isdigit():  # "²".isdigit() is True
        qs = qs.filter(merchant_id=int(merchant_id))
    return render(
        request,
        "complaints/portal/list.html",
        {"complaints": qs[:200], "merchants": merchants_for_user(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def complaint_detail(request, pk: int):
    complaint = selectors.complaint_for_merchant_user_or_404(request.user, pk)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.complaint_merchant_reply(
                complaint=complaint,
                actor=request.user,
                body=form.cleaned_data["body"],
                proposal=form.cleaned_data["proposal"],
            )
        except ValidationFailed as exc:
            apply_domain_error(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("答复已发送，投诉人可在查询页面看到。"))
            return redirect("portal_complaints:detail", pk=complaint.pk)
    context = {
        "complaint": complaint,
        "complainant": mask_name(complaint.complainant_name),
        "replies": complaint.replies.all(),
        "pending": ProposalStatus.PENDING,
        "form": form,
        "can_reply": complaint.status in REPLY_STATUSES,
        "days_left": selectors.days_left(complaint),
    }
    return render(request, "complaints/portal/detail.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def odr_enroll(request, merchant_pk: int):
    from merchants.selectors import member_merchant_or_404

    merchant = member_merchant_or_404(request.user, merchant_pk)
    enrolled = request.POST.get("enrolled") == "1"
    try:
        services.merchant_odr_enroll(merchant=merchant, actor=request.user, enrolled=enrolled)
        messages.success(
            request,
            _("已加入在线纠纷解决（ODR），消费者可选择先与您和解。")
            if enrolled
            else _("已退出在线纠纷解决（ODR）。"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    target = request.POST.get("next") or ""
    if target.startswith("/portal/"):
        return redirect(target)
    return redirect("portal_complaints:list")
