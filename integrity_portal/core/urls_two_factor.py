"""/accounts/two-factor/…: enrolment, the second step of sign-in, recovery codes (core/views_two_factor.py)."""

from django.urls import path

from . import views_two_factor as views

urlpatterns = [
    path("", views.manage, name="two-factor"),
    path("setup/", views.setup, name="two-factor-setup"),
    path("verify/", views.verify, name="two-factor-verify"),
    path("recovery-codes/", views.recovery_codes, name="two-factor-recovery-codes"),
    path("disable/", views.disable, name="two-factor-disable"),
]
