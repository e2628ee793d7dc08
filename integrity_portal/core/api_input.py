"""REST framework input pieces that refuse hostile input with a 4xx instead of a 500: a JSON parser for
object bodies of bounded depth and a Basic authentication that refuses impossible credentials.

Kept apart from core.api: REST framework imports these classes from its settings while
``rest_framework.views`` is still loading, so this module must not import it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import AuthenticationFailed, ParseError
from rest_framework.parsers import JSONParser

from .two_factor import two_factor_required

# Every request body the API accepts is one flat object (a form); a few levels leave room for growth.
MAX_JSON_DEPTH = 16
MAX_USERNAME_LENGTH = 150


def _too_deep(data, limit: int) -> bool:
    """Iterative depth walk (a recursive one would overflow on exactly the input it guards against)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class ObjectJSONParser(JSONParser):
    """JSON whose top level is an object, nested at most ``MAX_JSON_DEPTH`` levels.

    Views read ``request.data.get(...)`` (throttles keyed on a body field, serializers); a body of ``[]``,
    ``null``, ``1`` or ``"x"`` made them raise AttributeError, and 100,000 nested brackets made the json
    module raise RecursionError: both were 500s. Both are now a 400 with a clear message.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON 嵌套层数过多。")) from None
        if not isinstance(data, dict):
            raise ParseError(_("请求体必须是一个 JSON 对象（{…}）。"))
        if _too_deep(data, MAX_JSON_DEPTH):
            raise ParseError(_("JSON 嵌套层数过多（最多 %(n)d 层）。") % {"n": MAX_JSON_DEPTH})
        return data


class StrictBasicAuthentication(BasicAuthentication):
    """Basic auth that treats a username or password no account can have as a failed sign-in.

    A NUL byte in the decoded username reached the user look-up and django-axes' attempt log, and
    PostgreSQL refuses NUL in a string: every API URL answered 500. Such credentials are refused here,
    before any query, like any other wrong password."""

    def authenticate_credentials(self, userid, password, request=None):
        if "\x00" in userid or "\x00" in password or len(userid) > MAX_USERNAME_LENGTH:
            raise AuthenticationFailed(_("用户名或密码无效。"))
        user, auth = super().authenticate_credentials(userid, password, request)
        # Basic auth has no second step: an account that must give a second factor (every staff account,
        # a merchant who opted in) signs in on the web instead (core/two_factor.py).
        if two_factor_required(user):
            raise AuthenticationFailed(_("此账号需要两步验证，不能用用户名和密码直接调用接口；请在网页登录后使用。"))
        return user, auth
