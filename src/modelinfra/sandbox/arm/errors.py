"""ARM error responses: one exception type carrying the status and the ``{"error": {...}}`` body.

Any code in the emulator (engine, hooks of a family) raises :class:`ArmError`; the server turns it
into ``status`` + ``{"error": {"code": code, "message": message}}``, which azure-core parses into
``HttpResponseError.error.code`` / ``.message``. The constructors below name the codes real ARM uses.
"""

from __future__ import annotations

from typing import Any


class ArmError(Exception):
    """An ARM error response: HTTP ``status`` and the ARM error ``code``/``message``."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": []}}


def bad_request(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)


def conflict(code: str, message: str) -> ArmError:
    return ArmError(409, code, message)


def not_found(code: str, message: str) -> ArmError:
    return ArmError(404, code, message)


def missing_api_version() -> ArmError:
    return bad_request(
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
    )


def unsupported_api_version(api_version: str, resource_type: str, supported: tuple[str, ...]) -> ArmError:
    return bad_request(
        "NoRegisteredProviderFound",
        f"No registered resource provider found for api version '{api_version}' and resource type "
        f"'{resource_type}'. The supported api-versions are '{', '.join(supported)}'.",
    )


def resource_group_not_found(name: str) -> ArmError:
    return not_found("ResourceGroupNotFound", f"Resource group '{name}' could not be found.")


def parent_not_found(parent_name: str) -> ArmError:
    return not_found(
        "ParentResourceNotFound",
        f"Can not perform requested operation on nested resource. Parent resource '{parent_name}' not found.",
    )


def unknown_route(method: str, path: str) -> ArmError:
    return bad_request(
        "NoRegisteredProviderFound",
        f"The ARM emulator has no resource type or action for {method} '{path}'.",
    )


def unauthenticated(authorization: str) -> ArmError:
    """401 as ARM answers a request without a usable bearer token: ``AuthenticationFailed`` (or
    ``InvalidAuthenticationToken`` for a malformed header) plus the ``WWW-Authenticate`` challenge."""
    if not authorization:
        code, message = "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing."
        why = "missing 'Authorization' header"
    else:
        code, message = "InvalidAuthenticationToken", "The access token is invalid: a bearer token is required."
        why = "invalid 'Authorization' header"
    challenge = (f'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", '
                 f'error_description="The authentication failed because of {why}."')
    return ArmError(401, code, message, {"WWW-Authenticate": challenge})
