"""The API documentation pages (Swagger UI and Redoc), served entirely by the portal.

Both UIs come from drf-spectacular-sidecar's static files (``SPECTACULAR_SETTINGS``:
``SWAGGER_UI_DIST = REDOC_DIST = "SIDECAR"``): no CDN, so the pages work on a government
intranet and no third party can change the script that runs on the portal's origin.

Under the site-wide Content-Security-Policy (``script-src 'self'``, ``style-src 'self'``):

* Swagger UI uses drf-spectacular's split view, which serves its init script as a separate
  JavaScript response (``?script=``) instead of an inline ``<script>``; the template drops the
  package's inline ``<style>`` for ``static/css/api-docs.css``.
* Redoc is started by ``<redoc spec-url>`` and its bundle (no inline init script); the
  template drops the package's Google Fonts links. Redoc injects its CSS as ``<style>``
  elements (styled-components) and runs its search index in a ``blob:`` worker, so this one
  view adds ``style-src 'unsafe-inline'`` and ``worker-src 'self' blob:``; scripts stay
  ``'self'`` only.
"""

from __future__ import annotations

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

REDOC_CSP_UPDATE = {"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]}


class SwaggerDocsView(SpectacularSwaggerSplitView):
    template_name = "api_docs/swagger_ui.html"


@method_decorator(csp_update(REDOC_CSP_UPDATE), name="dispatch")
class RedocDocsView(SpectacularRedocView):
    template_name = "api_docs/redoc.html"
