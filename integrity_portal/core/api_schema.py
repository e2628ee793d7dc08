"""OpenAPI descriptions of the core API pieces that drf-spectacular cannot infer, and the schema class.

``StrictBasicAuthentication`` is plain HTTP Basic to a client; without this extension the schema
generator warned for every view and dropped the scheme from the documentation.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_standardized_errors.openapi import AutoSchema as StandardizedAutoSchema


class StrictBasicScheme(OpenApiAuthenticationExtension):
    target_class = "integrity_portal.core.api_input.StrictBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}


class PortalAutoSchema(StandardizedAutoSchema):
    """drf-standardized-errors' schema, with the refusals every operation can give documented everywhere.

    400 (a parse or validation error, an unknown format), 401 (wrong credentials, on any endpoint), 403
    (CSRF, a missing second factor), 404 (an unknown id or cursor) and 429 (every endpoint is throttled) can
    answer any operation, so each one lists them; 409 (a refused move of a workflow) every write. All of
    them, like 405/406/415/500, use the one ``ErrorResponse`` body (``DRF_STANDARDIZED_ERRORS``)."""

    ALWAYS = frozenset({"400", "401", "403", "404", "429"})
    WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code in responses:
            return False
        if status_code in self.ALWAYS:
            return True
        if status_code == "409":
            return self.method in self.WRITES
        if status_code == "415":
            return self.method in self.WRITES and self._should_add_http415_error_response()
        checks = {
            "405": self._should_add_http405_error_response,
            "406": self._should_add_http406_error_response,
            "500": self._should_add_http500_error_response,
        }
        return checks.get(status_code, lambda: False)()


def query_parameters(result):
    """Every query parameter object of a generated schema (for post-processing hooks)."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query":
                    yield parameter


def no_nul_in_query_strings(result, generator, request, public):
    """``POSTPROCESSING_HOOKS``: free-text query parameters say they take no NUL character.

    Every request with a NUL byte anywhere is refused with a 400 before any view (core/request_guard.py); the
    schema states it as a pattern, so it promises nothing the portal refuses."""
    for parameter in query_parameters(result):
        schema = parameter.setdefault("schema", {})
        if schema.get("type") == "string" and not ({"enum", "pattern", "format"} & set(schema)):
            schema["pattern"] = r"^[^\x00]*$"
    return result
