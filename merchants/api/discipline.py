"""``GET /api/v1/discipline/feed/?since=YYYY-MM-DD``: the joint-discipline feed for partner departments.

Read-only, authenticated by a department's API key (``Authorization: Api-Key <key>``), every call audited
(read or refused). Optional ``region`` (a region code) and ``kinds`` (comma-separated decision kinds)
narrow the answer; asking for anything outside the department's scope is 403 (audited, logged).
Pagination: whole days per page, ``next`` carries an opaque cursor (the next page's first day).
"""

from __future__ import annotations

import logging
from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import authentication, exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from integrity_portal.core.audit import audit_log

from ..audit_actions import AuditAction
from ..discipline import ALGORITHM, EARLIEST, decode_cursor, department_region_codes, encode_cursor, feed_page
from ..regions import region_and_descendant_codes
from ..services.partners import partner_api_key_find

logger = logging.getLogger("integrity_portal.partners")
KEYWORD = "Api-Key"


class PartnerApiKeyAuthentication(authentication.BaseAuthentication):
    """``Authorization: Api-Key <prefix>.<secret>``; ``request.auth`` is the PartnerApiKey."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        keyword, _sep, raw = header.partition(" ")
        if keyword != KEYWORD:
            return None
        key = partner_api_key_find(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(_("接口密钥无效或已吊销。"))
        return AnonymousUser(), key

    def authenticate_header(self, request):
        return KEYWORD


class PartnerApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = PartnerApiKeyAuthentication
    name = "partnerApiKey"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": f"{KEYWORD} <key>"}


class HasPartnerKey(permissions.BasePermission):
    def has_permission(self, request, view):
        if request.auth is None:
            raise exceptions.NotAuthenticated(_("请提供部门接口密钥（Authorization: Api-Key …）。"))
        return True


def _refuse(key, request, reason: str, detail: str):
    audit_log(
        actor=None,
        action=AuditAction.DISCIPLINE_FEED_REFUSED,
        target=key,
        note=reason,
        data={"query": request.GET.dict()},
    )
    logger.warning("discipline feed refused: department=%s key=%s reason=%s", key.department.code, key.prefix, reason)
    raise exceptions.PermissionDenied(detail)


class DisciplineFeedApi(APIView):
    authentication_classes = [PartnerApiKeyAuthentication]
    permission_classes = [HasPartnerKey]

    @extend_schema(
        operation_id="discipline_feed",
        summary="联合惩戒：名单决定数据（按日签名）",
        parameters=[
            OpenApiParameter("since", str, required=True, description="YYYY-MM-DD"),
            OpenApiParameter("cursor", str, required=False),
            OpenApiParameter("region", str, required=False),
            OpenApiParameter("kinds", str, required=False, description="red_list,black_list,penalty"),
        ],
        responses={200: dict},
    )
    def get(self, request):
        key = request.auth
        department = key.department
        scope_regions = department_region_codes(department)
        kinds = None
        if request.GET.get("kinds"):
            kinds = {k.strip() for k in request.GET["kinds"].split(",") if k.strip()}
            if not kinds <= set(department.decision_kinds):
                _refuse(key, request, "kinds", _("该密钥无权读取这些类别的决定。"))
        regions = None
        if request.GET.get("region"):
            code = request.GET["region"].strip()
            if code not in scope_regions:
                _refuse(key, request, "region", _("该密钥无权读取该辖区的决定。"))
            regions = set(region_and_descendant_codes(code))
        try:
            since = date.fromisoformat(request.GET.get("since", ""))
        except ValueError:
            raise exceptions.ValidationError({"since": [_("请以 YYYY-MM-DD 格式提供 since。")]}) from None
        if since < EARLIEST:
            raise exceptions.ValidationError({"since": [_("since 不能早于 2000-01-01。")]})
        start = since
        if cursor := request.GET.get("cursor"):
            start = decode_cursor(cursor)
            if start is None or start < since:
                raise exceptions.ValidationError({"cursor": [_("分页游标无效。")]})
        days, next_day = feed_page(department, start, kinds=kinds, regions=regions)
        next_url = None
        if next_day is not None:
            query = request.GET.copy()
            query["cursor"] = encode_cursor(next_day)
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        audit_log(
            actor=None,
            action=AuditAction.DISCIPLINE_FEED_READ,
            target=key,
            data={
                "since": since.isoformat(),
                "from": start.isoformat(),
                "days": len(days),
                "decisions": sum(d["count"] for d in days),
                "kinds": sorted(kinds) if kinds else None,
                "region": request.GET.get("region") or None,
            },
        )
        return Response(
            {"department": department.code, "algorithm": ALGORITHM, "since": since.isoformat(), "next": next_url, "days": days}
        )
