"""The emulated AWS: moto server over HTTP (Backup extensions: see the sandbox helper's TODO)."""

from __future__ import annotations

from modelinfra.sandbox.base import RunningService


def start_aws_emulator(host: str = "127.0.0.1", port: int = 0) -> RunningService:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    bound_host, bound_port = server.get_host_and_port()
    return RunningService("aws", f"http://{bound_host}:{bound_port}", server.stop, handle=server)
