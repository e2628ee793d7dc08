"""OpenAPI descriptions of the core API pieces that drf-spectacular cannot infer.

``StrictBasicAuthentication`` is plain HTTP Basic to a client; without this extension the schema
generator warned for every view and dropped the scheme from the documentation.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class StrictBasicScheme(OpenApiAuthenticationExtension):
    target_class = "integrity_portal.core.api_input.StrictBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}
