"""Admin registrations: the register (regions, merchants, memberships, staff), credit facts,
a merchant's recourse (repair, appeals, replies, re-inspections), and the rating policy and history."""

from . import credit_facts, list_proposals, partners, rating, recourse, register, role_models  # noqa: F401
