"""Shared REST framework pieces: cursor pagination and the one error body (DomainError → HTTP included)."""

from __future__ import annotations

import math
import re
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.formatter import ExceptionFormatter
from drf_standardized_errors.handler import ExceptionHandler
from drf_standardized_errors.types import CLIENT_ERROR, VALIDATION_ERROR, Error
from rest_framework import exceptions, serializers
from rest_framework.pagination import CursorPagination

from .api_errors import SERVER_ERROR
from .errors import DomainError


class DefaultCursorPagination(CursorPagination):
    """Stable, O(1) paging over large tables; ordering must end on a unique column."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-id"

    def decode_cursor(self, request):
        """REST framework's cursor, refused as it refuses a malformed one (404 "Invalid cursor") when its
        position cannot be an id: the cursor is the client's text, and ``p=abc`` reached the query as a
        500 (``Field 'id' expected a number``)."""
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        ordering = (self.ordering,) if isinstance(self.ordering, str) else tuple(self.ordering)
        if ordering[0].lstrip("-") in ("id", "pk"):
            try:
                position = int(cursor.position)
            except (TypeError, ValueError):
                raise exceptions.NotFound(self.invalid_cursor_message) from None
            if not -(2**63) < position < 2**63:
                raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor


# Values of ``DomainError.details`` that are a reason code for the field named by their key
# (``details={"region": "required"}``), not a message or a datum (a date, a status).
_FIELD_CODES = frozenset({"required", "missing", "range", "invalid"})
# A code or a datum ("required", "2026-12-01", "open"); anything else (spaces, Chinese) is a message.
_NOT_A_MESSAGE = re.compile(r"[\w.:+-]*", re.ASCII)


def domain_error_items(exc: DomainError) -> list[Error]:
    """The errors of one refusal: the message, on the field it names when it names one.

    Services fill ``details`` in three ways: ``{"field": name}`` (the message is about that field),
    ``{field: message, ...}`` (one message per field, e.g. the list filters) and ``{field: "required"}``.
    Anything else (a deadline, the statuses of a refused move) is context already in the message."""
    details = exc.details or {}
    field = details.get("field")
    if isinstance(field, str):
        return [Error(exc.code, exc.message, field)]
    per_field = [
        Error(exc.code, str(value), str(key))
        for key, value in details.items()
        if isinstance(value, str) and not _NOT_A_MESSAGE.fullmatch(value)
    ]
    if per_field:
        return per_field
    coded = [key for key, value in details.items() if value in _FIELD_CODES]
    return [Error(exc.code, exc.message, coded[0] if len(coded) == 1 else None)]


# The API's names for fields that services and pages name otherwise (docs/API.md, "one naming scheme").
API_FIELD_NAMES = {"region": "region_code", "merchant": "merchant_id"}


@contextmanager
def api_field_names(aliases: dict[str, str] = API_FIELD_NAMES):
    """A service refusal raised inside names the fields as the API does, so ``attr`` is the field the
    client sent (``region_code``), not the service's or the page's name for it (``region``)."""
    try:
        yield
    except DomainError as exc:
        details = {aliases.get(key, key): value for key, value in (exc.details or {}).items()}
        if isinstance(details.get("field"), str):
            details["field"] = aliases.get(details["field"], details["field"])
        exc.details = details
        raise


class DomainAPIException(exceptions.APIException):
    """A service's refusal carried through drf-standardized-errors with its status, code and message."""

    def __init__(self, exc: DomainError):
        self.status_code = exc.status_code
        self.domain_error = exc
        super().__init__(detail=exc.message, code=exc.code)


class PortalExceptionFormatter(ExceptionFormatter):
    """A refused rule with status 400 is a validation error (the input broke it); other refusals (403,
    404, 409, 429) are client errors; both list the message under the service's code."""

    def get_error_type(self):
        if isinstance(self.exc, DomainAPIException):
            return VALIDATION_ERROR if self.exc.status_code == 400 else CLIENT_ERROR
        return super().get_error_type()

    def get_errors(self):
        if isinstance(self.exc, DomainAPIException):
            return domain_error_items(self.exc.domain_error)
        return super().get_errors()


class PortalExceptionHandler(ExceptionHandler):
    """drf-standardized-errors' handler, with the portal's DomainError and Django's ValidationError
    converted first (``DRF_STANDARDIZED_ERRORS`` names this class and the formatter)."""

    def convert_known_exceptions(self, exc):
        if isinstance(exc, DomainError):
            return DomainAPIException(exc)
        if isinstance(exc, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            return exceptions.ValidationError(detail=detail)
        return super().convert_known_exceptions(exc)

    def get_headers(self, exc):
        """``Retry-After`` in whole seconds rounded up, as REST framework gives it (the package truncates:
        14.8 s left would tell a client to come back 0.8 s too early)."""
        headers = super().get_headers(exc)
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(math.ceil(exc.wait))
        return headers


def exception_handler(exc, context):
    """``REST_FRAMEWORK["EXCEPTION_HANDLER"]``: every API error in one body (core/api_errors.py)."""
    return PortalExceptionHandler(exc, context).run()


class ErrorItemSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="机器可读的错误代码，如 invalid、not_found、throttled、not_authenticated"
    )
    detail = serializers.CharField(help_text="给人看的说明（按 Accept-Language 为中文或英文）")
    attr = serializers.CharField(allow_null=True, help_text="出错的字段或查询参数；与具体字段无关时为 null")


class ErrorResponseSerializer(serializers.Serializer):
    """The one error body of every API answer with a 4xx/5xx status (schema component ``ErrorResponse``)."""

    type = serializers.ChoiceField(
        choices=[(t, t) for t in (VALIDATION_ERROR, CLIENT_ERROR, SERVER_ERROR)],
        help_text="validation_error：输入不符合要求；client_error：其他请求错误；server_error：服务端错误",
    )
    errors = ErrorItemSerializer(many=True)
