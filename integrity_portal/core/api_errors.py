"""The one error body of the API, for answers that do not come from a REST framework view.

Every error under ``/api/`` has the shape drf-standardized-errors gives REST framework views
(``core.api.exception_handler``)::

    {"type": "validation_error" | "client_error" | "server_error",
     "errors": [{"code": "...", "detail": "...", "attr": "field" | null}]}

Middleware refusals (oversize body, NUL byte, missing second factor) and Django's own 400/403/404/500
handlers answer before or outside REST framework; they build the same body here, so a client parses one
shape whatever refused it. No REST framework import: the middleware loads this early.
"""

from __future__ import annotations

from django.http import JsonResponse

API_PREFIX = "/api/"

VALIDATION_ERROR = "validation_error"
CLIENT_ERROR = "client_error"
SERVER_ERROR = "server_error"


def is_api_request(request) -> bool:
    """Requests whose refusals are JSON (the API and its schema), not the HTML error page."""
    return request.path_info.startswith(API_PREFIX)


def error_type(status: int) -> str:
    return SERVER_ERROR if status >= 500 else CLIENT_ERROR


def error_body(*, status: int, code: str, detail, attr: str | None = None, type: str | None = None) -> dict:
    """One error in the API's error shape (``type`` defaults from the status)."""
    return {"type": type or error_type(status), "errors": [{"code": code, "detail": str(detail), "attr": attr}]}


def json_error(status: int, code: str, detail, attr: str | None = None, **kwargs) -> JsonResponse:
    """A JSON refusal in the API's error shape."""
    return JsonResponse(error_body(status=status, code=code, detail=detail, attr=attr), status=status, **kwargs)
