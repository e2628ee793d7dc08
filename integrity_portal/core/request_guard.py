"""Refuse hostile requests before any view, form or database sees them.

Two things are checked on every request, first in the middleware chain (before the CSRF middleware
reads a POST body):

* **Body size.** A request announcing a ``Content-Length`` above ``settings.MAX_REQUEST_BODY_BYTES`` gets
  413 without a byte of its body being read, so an anonymous 200 MB POST costs neither memory nor disk.
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` only bounds the non-file part and is checked while reading; the proxy's
  ``client_max_body_size`` (docs/SECURITY.md) is the first line, this is the second.
* **NUL bytes** in the path, the query string or any header value get 400. PostgreSQL cannot store or
  compare a string containing U+0000 and psycopg raises ``ValueError`` at the first query that uses
  one: every view that passes a raw ``request.GET`` value, a URL segment or a cookie to the ORM turned it
  into a 500. Django's form fields refuse NUL (``ProhibitNullCharactersValidator``), but filters, plain
  ``request.GET.get()`` look-ups, ``<str:…>`` URL segments, the session cookie and django-axes' stored
  user agent never pass through a form, so the check belongs here, once, for all of them. No legitimate
  client sends a NUL in a URL or a header.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .api_errors import is_api_request, json_error
from .views import _render_error as render_error  # the portal's one error page

NUL = "\x00"


def _refuse(request, status: int, code: str, msgid: str, **params) -> HttpResponse:
    """The refusal in the visitor's language (this runs before LocaleMiddleware has chosen it)."""
    with translation.override(translation.get_language_from_request(request)):
        message = _(msgid) % params if params else _(msgid)
        if is_api_request(request):
            return json_error(status, code, message)  # the API's one error shape
        title = _("请求内容过大") if status == 413 else _("请求有误")
        return render_error(request, status, title, message)


def has_nul(request) -> bool:
    """A NUL byte, raw or percent-encoded, in the path, the query string or a header value."""
    if NUL in request.path_info or NUL in request.path:
        return True
    if b"\x00" in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
        return True
    return any(
        NUL in value
        for key, value in request.META.items()
        if (key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")) and isinstance(value, str)
    )


class RequestGuardMiddleware:
    """413 for an announced body above the cap, 400 for a malformed length or a NUL byte (see module doc)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw_length)
        except ValueError:
            length = -1
        if length < 0:
            return _refuse(request, 400, "bad_content_length", gettext_noop("请求头 Content-Length 无效。"))
        cap = settings.MAX_REQUEST_BODY_BYTES
        if length > cap:
            message = gettext_noop("提交的内容过大（上限 %(mb)d MB），请压缩或减少附件后重试。")
            return _refuse(request, 413, "request_too_large", message, mb=cap // (1024 * 1024))
        if has_nul(request):
            return _refuse(request, 400, "nul_byte", gettext_noop("请求中含有无效字符（NUL），已拒绝。"))
        return self.get_response(request)
