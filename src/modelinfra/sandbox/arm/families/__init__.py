"""The resource-type families the ARM emulator serves, registered in ONE explicit list.

Family API stable: the core engine and the family-definition API (``ResourceType``, ``Lro``,
``ProviderAction``, ``Family``, ``RequestContext`` in ``modelinfra.sandbox.arm.resource_type``) are
settled and exercised by resource groups, storage (accounts, blob service, containers with Azurite)
and compute (disks, snapshots). New families (Service Bus, CDN/Front Door, Azure ML) are new modules
here plus one line in ``FAMILIES``; they need no change to the engine. Hooks raise
``modelinfra.sandbox.arm.errors.ArmError`` for ARM error responses and read other resources through
``ctx.store``. Tests for a family go in ``tests/sandbox/arm/`` using the real SDK (see ``conftest.py``).

To add a family: write ``families/<name>.py`` defining ``FAMILY = Family(...)`` (the API is
documented in ``modelinfra.sandbox.arm.resource_type``; ``storage.py`` is the worked example) and
append it to ``FAMILIES`` below. Nothing registers itself on import.
"""

from __future__ import annotations

from modelinfra.sandbox.arm.families import (
    authorization,
    cdn,
    compute,
    containerregistry,
    keyvault,
    ml,
    monitor,
    resources,
    servicebus,
    storage,
)
from modelinfra.sandbox.arm.resource_type import Family

FAMILIES: tuple[Family, ...] = (
    resources.FAMILY,
    storage.FAMILY,
    compute.FAMILY,
    cdn.FAMILY,
    servicebus.FAMILY,
    ml.FAMILY,
    keyvault.FAMILY,
    monitor.FAMILY,
    containerregistry.FAMILY,
    authorization.FAMILY,
)
