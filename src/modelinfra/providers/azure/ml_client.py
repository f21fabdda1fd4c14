"""The REST client for ``Microsoft.MachineLearningServices`` at api-version 2025-12-01 (see
:mod:`modelinfra.providers.azure.rest_client` for the contract)."""

from __future__ import annotations

from typing import Any

from modelinfra.providers.azure.rest_client import ArmRestClient

API_VERSION = "2025-12-01"
NAMESPACE = "Microsoft.MachineLearningServices"


class MlClient(ArmRestClient):
    def __init__(self, session: Any, api_version: str = API_VERSION):
        super().__init__(session, api_version)
