"""CORS for the open data: a web page on any origin may read the public API anonymously, and nothing else.

django-cors-headers answers every method on the URLs of ``CORS_URLS_REGEX``; this subclass enables it for
safe methods only (GET, HEAD and the preflight OPTIONS), so a cross-site POST — or any answer to one — never
carries ``Access-Control-Allow-Origin``. ``CORS_ALLOW_CREDENTIALS`` is off: a browser sends no cookie with
such a request and may not read the answer to one that does, so a signed-in visitor's session never leaks
to another site through the API.
"""

from __future__ import annotations

from corsheaders.middleware import CorsMiddleware

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class PublicReadCorsMiddleware(CorsMiddleware):
    def is_enabled(self, request) -> bool:
        return request.method in SAFE_METHODS and super().is_enabled(request)
