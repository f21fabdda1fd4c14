"""Open the provider session a handler's cloud needs, importing its SDK only then."""

from __future__ import annotations

from typing import Any

from modelinfra.errors import SpecError
from modelinfra.settings import Settings
from modelinfra.spec.providers import ProvidersConfig


def open_session(cloud: str, providers: ProvidersConfig, settings: Settings) -> Any:
    if cloud == "aws":
        if providers.aws is None:
            raise SpecError([])  # validated earlier: a spec using aws.* declares providers.aws
        from modelinfra.providers.aws.session import AwsSession

        return AwsSession(providers.aws, settings)
    if cloud == "azure":
        if providers.azure is None:
            raise SpecError([])
        from modelinfra.providers.azure.session import AzureSession

        return AzureSession(providers.azure, settings)
    raise KeyError(cloud)
