"""Azure credentials, endpoints and management clients for one run.

Real clouds: ``DefaultAzureCredential`` and the ARM endpoint of ``cloud`` (public, china, usgov).
Emulators: ``MODELINFRA_AZURE_ENDPOINT`` (or ``providers.azure.endpoint``) replaces the ARM
endpoint; a loopback endpoint switches auth to a static emulator token and allows plain http. A
non-loopback endpoint must be https and uses the real credential (Azure Stack).

Every client gets the same explicit retry policy (``settings.max_attempts`` attempts for every kind
of failure, exponential backoff with jitter, honouring Retry-After, each retry logged), the
session's client-side ARM rate limit and request logging (``policies``); LRO polling honours
Retry-After. Clients are built
lazily, once, under a lock, and shared across worker threads.
"""

from __future__ import annotations

import ipaddress
import os
import threading
from typing import Any
from urllib.parse import urlparse

from modelinfra.errors import TerminalError
from modelinfra.settings import Settings
from modelinfra.spec.providers import AzureProviderConfig

CLOUDS = {
    "public": ("https://management.azure.com", "https://management.azure.com/.default",
               "login.microsoftonline.com", "core.windows.net"),
    "china": ("https://management.chinacloudapi.cn", "https://management.chinacloudapi.cn/.default",
              "login.chinacloudapi.cn", "core.chinacloudapi.cn"),
    "usgov": ("https://management.usgovcloudapi.net", "https://management.usgovcloudapi.net/.default",
              "login.microsoftonline.us", "core.usgovcloudapi.net"),
}

EMULATOR_TOKEN = "modelinfra-emulator-token"

_CLIENTS = {
    "resource": ("azure.mgmt.resource.resources", "ResourceManagementClient"),
    "storage": ("azure.mgmt.storage", "StorageManagementClient"),
    "compute": ("azure.mgmt.compute", "ComputeManagementClient"),
    "servicebus": ("azure.mgmt.servicebus", "ServiceBusManagementClient"),
    "cdn": ("azure.mgmt.cdn", "CdnManagementClient"),
}


def is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class AzureSession:
    def __init__(self, config: AzureProviderConfig, settings: Settings):
        # Import the SDK core here, once, before worker threads need it: concurrent first imports
        # of azure.core from several threads can fail with an import-lock _DeadlockError.
        import azure.core.exceptions  # noqa: F401
        import azure.core.pipeline  # noqa: F401
        import azure.core.polling  # noqa: F401
        import azure.mgmt.core  # noqa: F401
        import azure.storage.blob  # noqa: F401

        self.subscription_id = config.subscription_id
        self.settings = settings
        arm, scope, authority, self.storage_suffix = CLOUDS[config.cloud]
        override = os.environ.get("MODELINFRA_AZURE_ENDPOINT") or config.endpoint
        self.emulated = bool(override) and is_loopback(override)
        if override and not self.emulated and not override.lower().startswith("https://"):
            raise TerminalError(f"azure endpoint {override!r} must be https (plain http only on loopback)")
        self.endpoint = (override or arm).rstrip("/")
        self.scope = scope
        self._authority = authority
        self._tenant_id = config.tenant_id
        self._credential: Any = None
        self._clients: dict[str, Any] = {}
        self._lock = threading.RLock()
        from modelinfra.providers.throttle import Throttle

        self.throttle = Throttle.from_env()  # one ARM budget per subscription, shared by all clients

    # -- credentials ---------------------------------------------------------------------------
    @property
    def credential(self) -> Any:
        with self._lock:
            if self._credential is None:
                if self.emulated:
                    self._credential = StaticTokenCredential(EMULATOR_TOKEN)
                else:
                    from azure.identity import DefaultAzureCredential

                    kwargs: dict[str, Any] = {"authority": self._authority}
                    if self._tenant_id:
                        kwargs["additionally_allowed_tenants"] = [self._tenant_id]
                    self._credential = DefaultAzureCredential(**kwargs)
            return self._credential

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments every azure-core pipeline client of this session gets."""
        from modelinfra.providers.azure import policies

        kwargs: dict[str, Any] = {
            "retry_policy": policies.retry_policy(self.settings),
            "per_retry_policies": policies.per_retry_policies(self.throttle),
        }
        if self.emulated:
            kwargs["authentication_policy"] = _StaticBearerPolicy(EMULATOR_TOKEN)
            kwargs["polling_interval"] = 0.05
        return kwargs

    # -- management clients --------------------------------------------------------------------
    def mgmt(self, kind: str) -> Any:
        """The shared management client: ``resource``, ``storage``, ``compute``, ``servicebus``, ``cdn``."""
        with self._lock:
            if kind not in self._clients:
                import importlib

                module, cls_name = _CLIENTS[kind]
                cls = getattr(importlib.import_module(module), cls_name)
                self._clients[kind] = cls(
                    self.credential,
                    self.subscription_id,
                    base_url=self.endpoint,
                    credential_scopes=[self.scope],
                    **self.client_kwargs(),
                    **_transport_kwargs(),
                )
            return self._clients[kind]

    def tenant_id(self) -> str:
        """The Microsoft Entra tenant of the subscription (``Subscriptions_Get`` ``tenantId``, read
        once per session): what ``az account show --query tenantId`` prints."""
        with self._lock:
            cached = self._clients.get("tenant_id")
        if cached is None:
            from modelinfra.providers.azure.errors import azure_errors
            from modelinfra.providers.azure.rest_client import ArmRestClient

            with azure_errors(f"reading subscription {self.subscription_id}"):
                body = ArmRestClient(self, "2022-12-01").get(f"/subscriptions/{self.subscription_id}")
            cached = str((body or {}).get("tenantId") or "")
            if not cached:
                from modelinfra.errors import TerminalError

                raise TerminalError(f"subscription {self.subscription_id} not found (no tenantId to read)")
            with self._lock:
                self._clients["tenant_id"] = cached
        return cached

    def arm_pipeline(self) -> Any:
        """An ``ARMPipelineClient`` for APIs without a usable SDK (Azure ML at a newer api-version)."""
        with self._lock:
            if "arm" not in self._clients:
                from azure.core.pipeline import policies
                from azure.mgmt.core import ARMPipelineClient
                from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy

                kwargs = self.client_kwargs()
                auth = kwargs.pop("authentication_policy", None) or ARMChallengeAuthenticationPolicy(
                    self.credential, self.scope
                )
                self._clients["arm"] = ARMPipelineClient(
                    base_url=self.endpoint,
                    policies=[
                        policies.RequestIdPolicy(),
                        policies.HeadersPolicy(),
                        policies.UserAgentPolicy(sdk_moniker="modelinfra"),
                        policies.ProxyPolicy(),
                        policies.ContentDecodePolicy(),
                        kwargs["retry_policy"],
                        *kwargs["per_retry_policies"],
                        auth,
                        policies.CustomHookPolicy(),
                        policies.NetworkTraceLoggingPolicy(),
                        policies.DistributedTracingPolicy(),
                        ARMHttpLoggingPolicy(),
                    ],
                    **_transport_kwargs(),
                )
            return self._clients["arm"]


_PROXY_SETTINGS = frozenset({"http_proxy", "https_proxy", "all_proxy", "no_proxy", "netrc"})


def _transport_kwargs() -> dict[str, Any]:
    """A transport that does not re-read the environment on every request when no proxy (or netrc)
    variable is set: requests' ``trust_env`` scans all of ``os.environ`` for proxies on each call, a
    large share of the CPU a request costs. A CA bundle variable (``REQUESTS_CA_BUNDLE``, then
    ``CURL_CA_BUNDLE``, as requests reads them) is passed on as the transport's verify setting. With
    a proxy variable set, the SDK's default transport honours the environment as before."""
    if any(name.lower() in _PROXY_SETTINGS for name in os.environ):
        return {}
    from azure.core.pipeline.transport import RequestsTransport

    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return {"transport": RequestsTransport(use_env_settings=False, **({"connection_verify": bundle} if bundle else {}))}


class StaticTokenCredential:
    """A ``TokenCredential`` that always returns the same token (emulators only)."""

    def __init__(self, token: str):
        self._token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, 4102444800)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self._token, 4102444800)


def _StaticBearerPolicy(token: str) -> Any:  # noqa: N802 - factory standing in for a class
    """A policy that sets ``Authorization: Bearer <token>`` over http (loopback emulators only)."""
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class StaticBearerPolicy(SansIOHTTPPolicy):
        def on_request(self, request: Any) -> None:
            request.http_request.headers["Authorization"] = f"Bearer {token}"

    return StaticBearerPolicy()
