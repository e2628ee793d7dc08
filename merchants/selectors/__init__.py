"""Scoped reads shared by pages, API and admin."""
