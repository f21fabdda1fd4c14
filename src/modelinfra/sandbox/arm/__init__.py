"""The ARM emulator: an in-process HTTP server that the real Azure management SDKs talk to.

``start_arm_emulator()`` returns a :class:`~modelinfra.sandbox.base.RunningService` whose ``url`` is
the ARM base URL and whose ``handle`` is the :class:`ArmEmulator` (faults, request_count, store).

Storage accounts report ``primaryEndpoints.blob`` = ``blob_endpoint`` (Azurite) and ``listKeys``
returns ``account_key``; containers created through ARM are created in Azurite too. Every emulated
storage account shares the ONE Azurite account named in ``blob_endpoint`` (``devstoreaccount1``), so
containers of different emulated accounts share one namespace. With ``blob_endpoint=None`` Azurite is
never contacted and accounts report a fake ``https://<name>.blob.core.windows.net/``.

Resource types come from ``families.FAMILIES``; the family-definition API is documented in
``resource_type.py``.
"""

from __future__ import annotations

from modelinfra.sandbox.arm.emulator import ArmEmulator
from modelinfra.sandbox.base import RunningService

__all__ = ["ArmEmulator", "start_arm_emulator"]


def start_arm_emulator(blob_endpoint: str | None = None, account_key: str | None = None,
                       host: str = "127.0.0.1", port: int = 0, *, lro_retry_after: int = 0) -> RunningService:
    """Start the emulator on ``host:port`` (0 = a free port) in daemon threads; ``stop()`` shuts it down."""
    from modelinfra.sandbox.arm.azurite_bridge import AzuriteBridge
    from modelinfra.sandbox.arm.families import FAMILIES
    from modelinfra.sandbox.arm.resource_type import EmulatorConfig
    from modelinfra.sandbox.arm.server import serve

    bridge = AzuriteBridge(blob_endpoint, account_key) if blob_endpoint else None
    config = EmulatorConfig(blob_endpoint=blob_endpoint, account_key=account_key, azurite=bridge)
    emulator = ArmEmulator(FAMILIES, config, lro_retry_after=lro_retry_after)
    server, thread = serve(emulator, host, port)
    bound_host, bound_port = server.server_address[:2]
    emulator.url = f"http://{bound_host}:{bound_port}"

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return RunningService("arm", emulator.url, stop, extra={"blob_endpoint": blob_endpoint}, handle=emulator)
