"""Domain errors raised by services and translated to form errors, messages or HTTP 400/403/409.

Services never return error codes: they raise one of these, and every caller
(view, admin action, API endpoint, task, command) shows ``message`` to the user.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the action. ``message`` is user-facing (already translated)."""

    status_code = 400
    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None):
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.details = details or {}

    def __str__(self) -> str:
        return self.message


class ValidationFailed(DomainError):
    """Input broke a rule; ``details`` may map field names to messages."""

    code = "invalid"


class TransitionNotAllowed(DomainError):
    """The workflow map has no edge from the current status to the requested one."""

    status_code = 409
    code = "transition_not_allowed"


class ConcurrentUpdate(DomainError):
    """Someone else changed the object first; the caller's view of it is stale."""

    status_code = 409
    code = "concurrent_update"


class NotPermitted(DomainError):
    """The acting user may not do this (wrong role, region or merchant)."""

    status_code = 403
    code = "not_permitted"


class NotFound(DomainError):
    """Used where a refusal must not reveal whether the object exists."""

    status_code = 404
    code = "not_found"
