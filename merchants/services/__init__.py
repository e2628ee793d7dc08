"""Writes to the register and to merchants' credit facts."""

from .register import merchant_mark_rating_stale, staff_assign_role  # noqa: F401
