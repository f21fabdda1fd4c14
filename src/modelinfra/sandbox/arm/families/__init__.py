"""The resource-type families the ARM emulator serves, registered in ONE explicit list.

To add a family: write ``families/<name>.py`` defining ``FAMILY = Family(...)`` (the API is
documented in ``modelinfra.sandbox.arm.resource_type``; ``storage.py`` is the worked example) and
append it to ``FAMILIES`` below. Nothing registers itself on import.
"""

from __future__ import annotations

from modelinfra.sandbox.arm.families import compute, resources, storage
from modelinfra.sandbox.arm.resource_type import Family

FAMILIES: tuple[Family, ...] = (
    resources.FAMILY,
    storage.FAMILY,
    compute.FAMILY,
)
