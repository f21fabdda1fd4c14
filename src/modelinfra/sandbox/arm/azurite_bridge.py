"""Mirror ARM container operations into Azurite with the real azure-storage-blob client.

All emulated storage accounts share the one Azurite account named by the blob endpoint's path
(``http://127.0.0.1:PORT/devstoreaccount1`` -> ``devstoreaccount1``). Creating an existing container
is not an error (two emulated accounts may hold a container of the same name); the engine only
deletes a container in Azurite when no emulated container of that name remains.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

AZURITE_API_VERSION = "2025-11-05"

_PUBLIC_ACCESS = {"none": None, "blob": "blob", "container": "container"}


class AzuriteBridge:
    def __init__(self, blob_endpoint: str, account_key: str | None):
        self.blob_endpoint = blob_endpoint.rstrip("/")
        self.account_name = urlsplit(self.blob_endpoint).path.strip("/").split("/")[0] or "devstoreaccount1"
        self.account_key = account_key
        self._client: Any = None

    def _service(self) -> Any:
        if self._client is None:
            from azure.storage.blob import BlobServiceClient

            credential = {"account_name": self.account_name, "account_key": self.account_key} \
                if self.account_key else None
            self._client = BlobServiceClient(self.blob_endpoint, credential=credential,
                                             api_version=AZURITE_API_VERSION, retry_total=3)
        return self._client

    def create_container(self, name: str, public_access: str | None, metadata: dict[str, str]) -> None:
        from azure.core.exceptions import ResourceExistsError

        container = self._service().get_container_client(name)
        access = _PUBLIC_ACCESS.get((public_access or "none").lower())
        try:
            container.create_container(metadata=metadata or None, public_access=access)
        except ResourceExistsError:
            self.update_container(name, public_access, metadata)

    def update_container(self, name: str, public_access: str | None, metadata: dict[str, str]) -> None:
        container = self._service().get_container_client(name)
        container.set_container_metadata(metadata=metadata or {})
        access = _PUBLIC_ACCESS.get((public_access or "none").lower())
        container.set_container_access_policy(signed_identifiers={}, public_access=access)

    def delete_container(self, name: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._service().get_container_client(name).delete_container()
        except ResourceNotFoundError:
            pass
