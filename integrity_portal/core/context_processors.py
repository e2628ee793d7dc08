"""Template context shared by every page."""

from __future__ import annotations

from django.conf import settings


def site_identity(request) -> dict:
    """The bureau's name and the filing numbers a Chinese government site must show in its footer
    (ICP, public-security, 政府网站标识码); each comes from the environment and is omitted when empty."""
    return {
        "site_identity": {
            "bureau_name": settings.SITE_BUREAU_NAME,
            "icp_number": settings.SITE_ICP_NUMBER,
            "psb_number": settings.SITE_PSB_NUMBER,
            "gov_site_code": settings.SITE_GOV_SITE_CODE,
        }
    }
