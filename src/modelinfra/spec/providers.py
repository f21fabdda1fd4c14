"""Provider blocks of the spec (``providers.aws``, ``providers.azure``). No SDK imports here."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from modelinfra.spec.fields import SpecModel


class AwsProviderConfig(SpecModel):
    region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")
    profile: str | None = None
    endpoint_url: str | None = None


class AzureProviderConfig(SpecModel):
    subscription_id: str = Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
    cloud: Literal["public", "china", "usgov"] = "public"
    endpoint: str | None = None
    tenant_id: str | None = None


class ProvidersConfig(SpecModel):
    aws: AwsProviderConfig | None = None
    azure: AzureProviderConfig | None = None
