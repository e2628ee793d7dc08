"""Staff page answering a person's request to see or erase their personal data (PIPL): find by exact
phone, download everything as JSON, or anonymise it now with a reason. The rules (who may, which
region, auditing) are in core.retention; this page only shows them."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from .errors import DomainError
from .exports import attachment_disposition
from .retention import personal_data_erase, personal_data_export, personal_data_find


class PersonRequestForm(forms.Form):
    phone = forms.CharField(label=gettext_lazy("电话号码（精确匹配）"), max_length=20)
    reason = forms.CharField(
        label=gettext_lazy("删除理由（删除时必填）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


@never_cache
def personal_data_request(request):
    form = PersonRequestForm(request.POST or request.GET or None)
    found = None
    if form.is_bound and form.is_valid():
        phone, action = form.cleaned_data["phone"], request.POST.get("action", "")
        try:
            if request.method == "POST" and action == "export":
                data = personal_data_export(phone=phone, actor=request.user)
                response = HttpResponse(
                    json.dumps({"exported_at": timezone.now().isoformat(), **data}, ensure_ascii=False, indent=2),
                    content_type="application/json; charset=utf-8",
                )
                response["Content-Disposition"] = attachment_disposition(
                    f"personal-data-{timezone.localdate():%Y%m%d}.json"
                )
                response["X-Content-Type-Options"] = "nosniff"
                return response
            if request.method == "POST" and action == "erase":
                n = personal_data_erase(phone=phone, actor=request.user, reason=form.cleaned_data["reason"])
                messages.success(request, _("已匿名化 %(n)d 件。") % {"n": n})
                return HttpResponseRedirect(request.path)
            found = {name: len(items) for name, items in personal_data_find(phone=phone, actor=request.user).items()}
        except DomainError as exc:
            if exc.status_code == 403:
                raise PermissionDenied(exc.message) from exc
            form.add_error(None, exc.message)
    context = {
        **admin.site.each_context(request),
        "title": _("个人信息查询与删除申请"),
        "form": form,
        "found": found,
    }
    return TemplateResponse(request, "admin/personal_data_request.html", context)


