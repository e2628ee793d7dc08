"""Public pages. Nothing here shows an individual complaint except to the complainant who proves
code + phone; the statistics page is aggregate only."""

from __future__ import annotations

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from integrity_portal.core import ratelimit
from integrity_portal.core.client import rate_key
from integrity_portal.core.errors import DomainError, NotFound, ValidationFailed
from integrity_portal.core.uploads import private_file_response

from .. import selectors, services
from ..forms import RatingForm, SubmissionForm, TrackingForm, apply_domain_error
from ..models import Complaint, ComplaintKind, ProposalStatus

SESSION_NEW = "complaints_new_codes"
SESSION_MINE = "complaints_mine"
SESSION_TRACKED = "complaints_tracked"


@require_http_methods(["GET", "POST"])
def new(request):
    form = SubmissionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        idents = [rate_key(request), ratelimit.phone_ident(form.cleaned_data.get("phone"))]
        if not ratelimit.peek("complaint_submit", idents).allowed:
            form.add_error(None, _("提交过于频繁，请稍后再试或拨打 12315 热线。"))
        else:
            try:
                created = services.complaint_submit(
                    submission=form.submission(),
                    actor=request.user,
                    idempotency_key=form.cleaned_data.get("submission_token") or "",
                )
            except services.AlreadySubmitted as exc:
                # A double click: this token and this content filed these rows a moment ago. Show what the
                # first answer showed (it may never have reached the browser), file nothing.
                created = exc.complaints
                request.session[SESSION_NEW] = [(c.get_kind_display(), c.tracking_code) for c in created]
                request.session[SESSION_MINE] = [c.pk for c in created]
                return redirect("complaints:submitted")
            except ValidationFailed as exc:
                apply_domain_error(form, exc)
            else:
                ratelimit.record("complaint_submit", idents)
                request.session[SESSION_NEW] = [(c.get_kind_display(), c.tracking_code) for c in created]
                request.session[SESSION_MINE] = [c.pk for c in created]
                return redirect("complaints:submitted")
    status = 400 if request.method == "POST" else 200
    return render(request, "complaints/new.html", {"form": form}, status=status)


@require_GET
def submitted(request):
    """The tracking codes are shown exactly once; afterwards they can only be re-sent to the phone."""
    codes = request.session.pop(SESSION_NEW, None)
    mine = selectors.complaints_submitted_in_session(request.session.get(SESSION_MINE))
    if codes is None and not mine:
        return redirect("complaints:new")
    # Only an item with the complainant's phone can be tracked (code + phone) or have its code re-sent: an
    # anonymous report is told so instead of being promised either.
    trackable = {c.tracking_code for c in mine if not c.anonymous and c.complainant_phone}
    items = [{"kind": kind, "code": code, "trackable": code in trackable} for kind, code in codes or []]
    return render(
        request,
        "complaints/submitted.html",
        {
            "codes": items,
            "can_resend": bool(trackable),
            "can_track": bool(trackable),
            "anonymous_only": bool(mine) and not trackable,
        },
    )


@require_POST
def send_code(request):
    sent = False
    for complaint in selectors.complaints_submitted_in_session(request.session.get(SESSION_MINE)):
        try:
            services.complaint_send_tracking_code(complaint=complaint, actor=request.user)
            sent = True
        except DomainError as exc:
            messages.error(request, exc.message)
    if sent:
        messages.success(request, _("查询码已发送到您登记的手机号码和邮箱。"))
    return redirect("complaints:submitted")


@require_http_methods(["GET", "POST"])
def track(request):
    form = TrackingForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if not ratelimit.hit("tracking", [rate_key(request)]).allowed:
            form.add_error(None, _("查询过于频繁，请一小时后再试。"))
            status = 429
        else:
            try:
                complaint = selectors.complaint_for_tracking(
                    tracking_code=form.cleaned_data["tracking_code"], phone=form.cleaned_data["phone"]
                )
            except NotFound as exc:
                form.add_error(None, exc.message)
                status = 404
            else:
                request.session[SESSION_TRACKED] = complaint.pk
                return redirect("complaints:track_result")
    return render(request, "complaints/track.html", {"form": form}, status=status)


def _tracked(request) -> Complaint:
    complaint = selectors.complaint_tracked_in_session(request.session.get(SESSION_TRACKED))
    if complaint is None:
        raise Http404
    return complaint


@require_GET
def track_result(request):
    try:
        complaint = _tracked(request)
    except Http404:
        return redirect("complaints:track")
    replies = complaint.replies.all() if complaint.kind == ComplaintKind.COMPLAINT else []
    context = {
        "complaint": complaint,
        "days_left": selectors.days_left(complaint),
        "timeline": selectors.complaint_timeline(complaint),
        "replies": replies,
        "pending": ProposalStatus.PENDING,
        "can_rate": services.complaint_can_rate(complaint),
        "rating_form": RatingForm(),
    }
    return render(request, "complaints/track_result.html", context)


@require_POST
def track_proposal(request, reply_id: int):
    """Accepting or rejecting a settlement cannot be undone: the first POST (the button on the tracking
    page) only shows a confirmation page; the decision is taken by the POST that carries ``confirm=1``."""
    complaint = _tracked(request)
    accept = request.POST.get("decision") == "accept"
    if request.POST.get("confirm") != "1":
        reply = complaint.replies.filter(pk=reply_id, proposal_status=ProposalStatus.PENDING).first()
        if reply is None or complaint.kind != ComplaintKind.COMPLAINT:
            messages.error(request, _("该和解方案已处理或不存在。"))
            return redirect("complaints:track_result")
        return render(
            request, "complaints/proposal_confirm.html", {"complaint": complaint, "reply": reply, "accept": accept}
        )
    try:
        services.complaint_decide_proposal(
            complaint=complaint, reply_id=reply_id, accept=accept, actor=request.user
        )
        messages.success(
            request, _("已接受和解方案，投诉按调解成功办结。") if accept else _("已拒绝和解方案。")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("complaints:track_result")


@require_POST
def track_rate(request):
    complaint = _tracked(request)
    form = RatingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择 1 到 5 星。"))
    else:
        try:
            services.complaint_rate(
                complaint=complaint,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                actor=request.user,
            )
            messages.success(request, _("感谢您的评价。"))
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("complaints:track_result")


@require_GET
def statistics(request):
    today = timezone.localdate()
    try:
        months = min(max(int(request.GET.get("months", 12)), 1), 24)
    except ValueError:
        months = 12
    key = f"complaints:stats:v2:{today}:{months}"
    stats = cache.get(key)
    if stats is None:
        start, end = selectors.statistics_period(months=months, today=today)
        stats = selectors.statistics(start=start, end=end)
        stats["by_month"] = selectors.monthly_counts(start=start, end=end)
        cache.set(key, stats, 600)
    return render(
        request, "complaints/statistics.html", {"stats": stats, "months": months, "charts": _statistics_charts(stats)}
    )


def _statistics_charts(stats: dict) -> dict:
    """Server-drawn SVG charts (core.charts, no script, no CDN), each described by the table of its figures."""
    from django.utils.formats import date_format

    from integrity_portal.core.charts import chart_svg
    from integrity_portal.core.dashboard import Chart

    months = [date_format(r["month"], "YEAR_MONTH_FORMAT") for r in stats["by_month"]]
    by_month = Chart(
        kind="bar",
        categories=months,
        series=[
            (_("投诉"), [r["complaints"] for r in stats["by_month"]]),
            (_("举报"), [r["reports"] for r in stats["by_month"]]),
        ],
    )
    by_category = Chart(
        kind="bar",
        categories=[r["label"] for r in stats["by_category"]],
        series=[(_("件数"), [r["count"] for r in stats["by_category"]])],
    )
    return {
        "month_labels": months,
        "by_month": chart_svg(by_month, title=_("按月登记件数"), described_by="stats-by-month"),
        "by_category": chart_svg(by_category, title=_("按问题类别"), described_by="stats-by-category"),
    }


@require_GET
def merchant_search(request):
    """Register data only (name, district, address are public); used by the intake form."""
    from merchants.selectors.register import public_merchant_search

    qs = public_merchant_search(request.GET.get("q") or "")
    return JsonResponse(
        {
            "results": [
                {
                    "id": m.pk,
                    "name": m.name,
                    "region": m.region.name,
                    "address": m.address,
                    "odr": m.odr_enrolled,
                }
                for m in qs
            ]
        }
    )


@require_GET
def attachment(request, pk: int):
    """Evidence files go only to staff covering the item's region, always as a download."""
    att = selectors.attachment_for_staff_or_404(request.user, pk)
    # Type from the stored extension's allow-list (not the row's content_type, not the client's name).
    return private_file_response(att.file, download_name=att.original_name)
