"""Scoped reads shared by pages, API and admin."""

from .register import member_merchant_or_404, merchants_for_user  # noqa: F401
