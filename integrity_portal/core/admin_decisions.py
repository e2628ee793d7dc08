"""Decision buttons on an object's own change page, beside what the decision rests on.

A staff member deciding one credit repair, one appeal or one campaign step reads the record, its
evidence and history on the change page; the bulk actions on the list stay for routine batches.
``DecisionAdminMixin`` adds, for each ``Decision`` the object's current status allows and the user
holds the permission for, a button under the record with a shared reason box. Each button posts
(CSRF-protected, POST only) to one admin URL, ``<object_id>/decide/<name>/`` named
``<app>_<model>_decide``, which:

* finds the object through the admin's scoped queryset (another district's record is a 404);
* checks the permission the bulk action checks (``has_<permission>_permission``; 403 otherwise);
* answers a repeated or stale click (the status no longer allows the move) with a message and no
  call, so a double submit writes nothing twice; a race the status check misses is refused by the
  service's conditional update and shown the same way;
* calls the service and shows its ``DomainError`` as an error message on the change page.

The template ``admin/decision_change_form.html`` renders the buttons without inline script or style
(the admin runs under a strict Content-Security-Policy): the buttons and the reason box belong to a
separate form through the HTML ``form``/``formaction`` attributes, outside the change form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from .errors import DomainError


@dataclass(frozen=True)
class Decision:
    """One decision on the change page.

    ``run(obj, actor=, reason=)`` calls the service; ``allowed(obj)`` says whether the object's
    current status allows it (the button is shown only then); ``done`` is the success message.
    """

    name: str
    label: Any
    run: Callable[..., Any]
    allowed: Callable[[Any], bool]
    done: Any
    reason_required: bool = False
    permission: str = "change"
    style: str = ""  # "default" marks the primary button, "deletelink" a refusal


class DecisionAdminMixin:
    decisions: tuple[Decision, ...] = ()
    change_form_template = "admin/decision_change_form.html"

    def _decision_url_name(self) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_decide"

    def has_decision_permission(self, request, obj, decision: Decision) -> bool:
        return getattr(self, f"has_{decision.permission}_permission")(request, obj)

    def get_urls(self):
        view = self.admin_site.admin_view(self.decision_view)
        mine = [path("<path:object_id>/decide/<slug:decision>/", view, name=self._decision_url_name())]
        return mine + super().get_urls()

    def available_decisions(self, request, obj) -> list[Decision]:
        return [d for d in self.decisions if d.allowed(obj) and self.has_decision_permission(request, obj, d)]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.pk is not None:
            context["decision_buttons"] = [
                {
                    "decision": d,
                    "url": reverse(f"admin:{self._decision_url_name()}", args=[quote(obj.pk), d.name]),
                }
                for d in self.available_decisions(request, obj)
            ]
            context["decision_reason_required"] = [
                d.label for d in self.decisions if d.reason_required and d.allowed(obj)
            ]
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def decision_view(self, request, object_id, decision):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        spec = next((d for d in self.decisions if d.name == decision), None)
        if spec is None:
            raise Http404
        obj = self.get_object(request, unquote(object_id))
        if obj is None:  # admins without the region mixin answer None for an object outside their queryset
            raise Http404
        if not self.has_decision_permission(request, obj, spec):
            raise PermissionDenied
        opts = self.model._meta
        back = HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])
        )
        if not spec.allowed(obj):
            # A second click, or a page left open while someone else decided: nothing to do again.
            status = obj.get_status_display() if hasattr(obj, "get_status_display") else ""
            self.message_user(
                request,
                _("该事项当前为“%(status)s”，“%(action)s”已不适用，本次提交未作处理。")
                % {"status": status, "action": spec.label},
                messages.WARNING,
            )
            return back
        reason = (request.POST.get("reason") or "").strip()
        if spec.reason_required and not reason:
            self.message_user(request, _("请填写原因／意见后再提交“%(action)s”。") % {"action": spec.label}, messages.ERROR)
            return back
        try:
            spec.run(obj, actor=request.user, reason=reason)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return back
        self.message_user(request, spec.done, messages.SUCCESS)
        return back
