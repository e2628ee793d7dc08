"""Forms of the merchants app."""

from .register import ClaimForm, MembershipAddForm, MerchantAdminForm, SignupForm  # noqa: F401
