"""Consumer-rights station pages in the portal (消费维权服务站, issue #20 item 2): the station's complaints
(its stalls' only, no complainant's personal data), intake at the station, mediation within the settlement
period. Staff of the station only; another station is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from integrity_portal.core.errors import DomainError, ValidationFailed

from ..forms import StationIntakeForm, StationMediationForm, apply_domain_error
from ..models import Category, Complaint, Status
from ..partners import station_complaints, station_for_user_or_404, stations_for_user
from ..services import AlreadySubmitted, complaint_station_mediate, station_complaint_intake


def _page(request, station, *, form=None, form_for=None, status=200):
    categories, statuses = dict(Category.choices), dict(Status.choices)
    rows = [
        {**row, "category_label": categories.get(row["category"], ""), "status_label": statuses.get(row["status"], "")}
        for row in station_complaints(viewer=request.user, station=station)[:200]
    ]
    context = {
        "station": station,
        "stations": stations_for_user(request.user),
        "rows": rows,
        "odr": Status.ODR,
        "form": form or StationMediationForm(),
        "form_for": form_for,
    }
    return render(request, "complaints/station.html", context, status=status)


@login_required
def station(request, pk: int):
    return _page(request, station_for_user_or_404(request.user, pk))


@login_required
@require_POST
def mediate(request, pk: int, complaint_pk: int):
    station_obj = station_for_user_or_404(request.user, pk)
    form = StationMediationForm(request.POST)
    if form.is_valid():
        complaint = Complaint(pk=complaint_pk)  # read again under a lock by the service, scoped to the station
        try:
            complaint_station_mediate(
                complaint=complaint,
                station=station_obj,
                actor=request.user,
                body=form.cleaned_data["body"],
                proposal=form.cleaned_data["proposal"],
            )
        except ValidationFailed as exc:
            apply_domain_error(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
            return _page(request, station_obj, form=form, form_for=complaint_pk, status=exc.status_code)
        else:
            messages.success(request, _("调解方案已发送，投诉人可在查询页面确认。"))
            return redirect("portal_complaints:station", pk=station_obj.pk)
    return _page(request, station_obj, form=form, form_for=complaint_pk, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def intake(request, pk: int):
    station_obj = station_for_user_or_404(request.user, pk)
    form = StationIntakeForm(request.POST or None, request.FILES or None, station=station_obj)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                created = station_complaint_intake(
                    station=station_obj,
                    submission=form.submission(),
                    actor=request.user,
                    idempotency_key=form.cleaned_data.get("submission_token") or "",
                )
            except AlreadySubmitted as exc:
                created = exc.complaints
            except ValidationFailed as exc:
                apply_domain_error(form, exc)
                created = None
            except DomainError as exc:
                form.add_error(None, exc.message)
                created = None
            if created:
                codes = "、".join(c.tracking_code for c in created)
                messages.success(
                    request, _("已登记。请把查询码告诉投诉人（只显示这一次）：%(codes)s") % {"codes": codes}
                )
                return redirect("portal_complaints:station", pk=station_obj.pk)
    return render(request, "complaints/station_intake.html", {"station": station_obj, "form": form}, status=status)
