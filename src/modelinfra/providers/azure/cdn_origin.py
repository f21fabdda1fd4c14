"""The origin of a CDN / Front Door endpoint: always a storage account's blob endpoint, read through ARM.

The spec names the storage account by ARM id (``origin_storage_account: ${account.id}``); the host
is never a free-form string. :func:`resolve_blob_origin` reads the account's
``primaryEndpoints.blob`` (``ctx.session.mgmt("storage")``) and turns it into a :class:`BlobOrigin`.

Path-style blob endpoints (Azurite, Azure Stack: ``http://127.0.0.1:10000/devstoreaccount1/``)
carry the account in the path; ``path_prefix`` holds it, so the CDN's origin path is
``path_prefix + origin_path`` on the wire and ``origin_path`` again when read back
(:meth:`BlobOrigin.user_path`). Virtual-host endpoints (``https://acct.blob.core.windows.net/``)
have an empty prefix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlparse

from pydantic import AfterValidator

from modelinfra.errors import TerminalError
from modelinfra.providers.azure import arm_ids
from modelinfra.providers.azure.errors import read_or_none
from modelinfra.providers.base import ResourceContext


@dataclass(frozen=True)
class BlobOrigin:
    """Where a CDN endpoint fetches from: the blob host of ``account_id`` and the ports to use."""

    account_id: str
    host: str
    http_port: int = 80
    https_port: int = 443
    path_prefix: str = ""

    @property
    def display_host(self) -> str:
        """``host`` plus a non-default port: the ``origin_host`` attribute."""
        port = self.http_port if self.http_port != 80 else (self.https_port if self.https_port != 443 else None)
        return f"{self.host}:{port}" if port else self.host

    def wire_path(self, origin_path: str | None) -> str | None:
        """The origin path to send to ARM for the user's ``origin_path``."""
        joined = self.path_prefix + (origin_path or "")
        return joined or None

    def user_path(self, wire_path: str | None) -> str | None:
        """The user's ``origin_path`` for an origin path read from ARM (inverse of :meth:`wire_path`)."""
        if not wire_path:
            return None
        if self.path_prefix and (wire_path == self.path_prefix or wire_path.startswith(self.path_prefix + "/")):
            return wire_path[len(self.path_prefix):] or None
        return wire_path


def origin_from_blob_endpoint(account_id: str, blob_endpoint: str) -> BlobOrigin:
    """Pure: the origin for a storage account whose primary blob endpoint is ``blob_endpoint``."""
    parsed = urlparse(blob_endpoint)
    if not parsed.hostname:
        raise TerminalError(f"storage account {account_id} reports an invalid blob endpoint {blob_endpoint!r}")
    port = parsed.port
    http_port = port if port and parsed.scheme == "http" else 80
    https_port = port if port and parsed.scheme == "https" else 443
    return BlobOrigin(account_id, parsed.hostname, http_port, https_port, parsed.path.rstrip("/"))


def resolve_blob_origin(ctx: ResourceContext, account_id: str) -> BlobOrigin | None:
    """The origin of the storage account ``account_id`` read through ARM; None if it does not exist."""
    parsed = arm_ids.parse(account_id)
    client = ctx.session.mgmt("storage")
    account = read_or_none(f"reading storage account {parsed.name}",
                           lambda: client.storage_accounts.get_properties(parsed.resource_group or "", parsed.name))
    if account is None:
        return None
    blob = ((account.as_dict().get("properties") or {}).get("primaryEndpoints") or {}).get("blob")
    if not blob:
        raise TerminalError(f"storage account {parsed.name} has no blob endpoint to serve as a CDN origin")
    return origin_from_blob_endpoint(account_id, blob)


def require_blob_origin(ctx: ResourceContext, account_id: str) -> BlobOrigin:
    """:func:`resolve_blob_origin`, failing (terminally) when the account does not exist."""
    origin = resolve_blob_origin(ctx, account_id)
    if origin is None:
        raise TerminalError(f"origin storage account {account_id} does not exist")
    return origin


def check_storage_account_id(value: str) -> str:
    """A ``Microsoft.Storage/storageAccounts`` ARM id (what ``${account.id}`` resolves to)."""
    try:
        arm_ids.check_arm_id(value, namespace="Microsoft.Storage", type_name="storageAccounts")
    except ValueError as exc:
        raise ValueError(f"{exc}; use the id of an azure.storage_account, e.g. \"${{account.id}}\"") from None
    if len(arm_ids.parse(value).types) != 1:
        raise ValueError(f"{value!r} is not the id of a storage account (it names a resource inside one)")
    return value


def check_origin_path(value: str | None) -> str | None:
    """``/container[/folder...]``: starts with a slash, no trailing slash, no query."""
    if value is None:
        return None
    if not value.startswith("/") or value.endswith("/") or "?" in value or "#" in value or "//" in value:
        raise ValueError(f"origin_path {value!r} must look like /container or /container/folder "
                         "(leading slash, no trailing slash, no query)")
    return value


StorageAccountId = Annotated[str, AfterValidator(check_storage_account_id)]
OriginPath = Annotated[str | None, AfterValidator(check_origin_path)]
