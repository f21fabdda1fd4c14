"""The blob data plane (azure-storage-blob) for a storage account managed through ARM.

``account_endpoint`` finds an account's resource group and ``primary_blob_endpoint`` through ARM
(by ``get_properties`` when the group is known, else by listing the subscription's accounts).
``container_client`` builds a data-plane client at that endpoint:

- real clouds authenticate with the session's AAD credential (``ctx.session.credential``);
- emulated sessions (``ctx.session.emulated``) use the account key from ARM's ``listKeys`` (the
  ARM emulator returns Azurite's key) and pin ``api_version`` to ``AZURITE_API_VERSION``. Azurite
  serves accounts path-style (``http://127.0.0.1:PORT/devstoreaccount1/``), so the shared-key
  account name is the first path segment of a loopback endpoint.

Clients are cached per (session, account, container); uploads go in parallel blocks of
``BLOCK_SIZE`` with ``MAX_CONCURRENCY`` workers above ``SINGLE_PUT_SIZE``.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from modelinfra.providers.azure.errors import azure_errors, read_or_none
from modelinfra.providers.azure.session import is_loopback
from modelinfra.providers.base import ResourceContext

AZURITE_API_VERSION = "2025-11-05"
BLOCK_SIZE = 4 * 1024 * 1024
SINGLE_PUT_SIZE = 4 * 1024 * 1024
MAX_CONCURRENCY = 4
SHA256_METADATA = "modelinfra_sha256"
"""Metadata name holding the SHA-256 of the uploaded file (Azure metadata names are C# identifiers)."""

_cache: weakref.WeakKeyDictionary[Any, dict[tuple[str, str], Any]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


@dataclass(frozen=True)
class AccountEndpoint:
    resource_group: str
    account: str
    blob_endpoint: str


def account_endpoint(ctx: ResourceContext, account: str, resource_group: str | None) -> AccountEndpoint | None:
    """Where ``account``'s blobs live; ``None`` when the account does not exist."""
    from modelinfra.providers.azure import arm_ids

    client = ctx.session.mgmt("storage")
    if resource_group:
        found = read_or_none(f"reading storage account {account}",
                             lambda: client.storage_accounts.get_properties(resource_group, account))
        body = found.as_dict() if found is not None else None
    else:
        with azure_errors("listing storage accounts"):
            body = next((a.as_dict() for a in client.storage_accounts.list()
                         if str(a.as_dict().get("name", "")).lower() == account.lower()), None)
    if body is None:
        return None
    group = resource_group or arm_ids.parse(body["id"]).resource_group or ""
    endpoint = ((body.get("properties") or {}).get("primaryEndpoints") or {}).get("blob")
    if not endpoint:
        endpoint = f"https://{account}.blob.{ctx.session.storage_suffix}/"
    return AccountEndpoint(group, account, endpoint)


def container_client(ctx: ResourceContext, where: AccountEndpoint, container: str) -> Any:
    """A (cached) ``ContainerClient`` for ``container`` in the account at ``where``."""
    key = (where.blob_endpoint, container)
    with _lock:
        cached = _cache.setdefault(ctx.session, {}).get(key)
    if cached is not None:
        return cached
    from azure.storage.blob import BlobServiceClient

    kwargs: dict[str, Any] = {
        "max_block_size": BLOCK_SIZE,
        "max_single_put_size": SINGLE_PUT_SIZE,
        "retry_total": max(ctx.session.settings.max_attempts - 1, 0),
    }
    if ctx.session.emulated:
        credential: Any = {"account_name": shared_key_account(where.blob_endpoint, where.account),
                           "account_key": account_key(ctx, where)}
        kwargs["api_version"] = AZURITE_API_VERSION
    else:
        credential = ctx.session.credential
    service = BlobServiceClient(where.blob_endpoint, credential=credential, **kwargs)
    client = service.get_container_client(container)
    with _lock:
        _cache.setdefault(ctx.session, {})[key] = client
    return client


def account_key(ctx: ResourceContext, where: AccountEndpoint) -> str:
    """The first key ARM's ``listKeys`` returns for the account."""
    client = ctx.session.mgmt("storage")
    with azure_errors(f"listing keys of storage account {where.account}"):
        keys = client.storage_accounts.list_keys(where.resource_group, where.account).as_dict().get("keys") or []
    if not keys:
        from modelinfra.errors import TerminalError

        raise TerminalError(f"storage account {where.account} returned no keys")
    return str(keys[0]["value"])


def shared_key_account(endpoint: str, account: str) -> str:
    """The account name to sign requests with: the first path segment of a path-style loopback
    endpoint (Azurite), else ``account``."""
    if is_loopback(endpoint):
        segment = urlparse(endpoint).path.strip("/").split("/")[0]
        if segment:
            return segment
    return account
