"""Health check and friendly error pages (never a stack trace, never a half-written action)."""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .api_errors import is_api_request, json_error


@never_cache
def healthz(request):
    """Liveness for the load balancer and compose healthcheck: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request):
    """Readiness (core/health.py): every dependency check by name; 503 when any fails."""
    from .health import run_checks

    healthy, checks = run_checks()
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


# Under /api/ the error pages answer JSON in the API's one error shape (core/api_errors.py): a client of the
# API parses every refusal the same way, including a URL no route matches.
_API_ERROR_CODES = {400: "bad_request", 403: "permission_denied", 404: "not_found", 500: "error"}


def _render_error(request, status: int, title: str, message: str) -> HttpResponse:
    if is_api_request(request):
        return json_error(status, _API_ERROR_CODES.get(status, "error"), message)
    try:
        body = loader.render_to_string("error.html", {"status": status, "title": title, "message": message}, request)
    except Exception:  # the template machinery itself may be what failed (e.g. database down)
        body = f"<!doctype html><meta charset='utf-8'><title>{status}</title><h1>{title}</h1><p>{message}</p>"
    return HttpResponse(body, status=status)


def bad_request(request, exception=None):
    return _render_error(request, 400, _("请求有误"), _("无法处理该请求，请检查后重试。"))


def permission_denied(request, exception=None):
    return _render_error(request, 403, _("无权访问"), _("您没有查看此页面的权限。"))


def page_not_found(request, exception=None):
    return _render_error(request, 404, _("页面不存在"), _("您访问的页面不存在或已被移除。"))


def server_error(request):
    return _render_error(
        request,
        500,
        _("服务暂时不可用"),
        _("系统出现问题，您提交的内容未被部分保存，请稍后重试。"),
    )


def legal_document(request, kind: str):
    """Public page of the privacy notice or the user agreement (one indexed row; cheap enough
    not to need the public page cache). Before the seeding migration ran, the built-in default."""
    from django.shortcuts import render
    from django.views.decorators.http import require_safe

    from .legal import DEFAULTS, legal_document_for
    from .models import LegalDocument

    @require_safe
    def view(request):
        document = legal_document_for(kind)
        if document is None:
            title, body = DEFAULTS[kind]
            document = LegalDocument(kind=kind, title=title, body=body)
        return render(request, "legal/document.html", {"document": document})

    return view(request)
