"""moto server on a loopback port, with the project's AWS Backup extensions installed.

moto's ``DomainDispatcherApplication`` builds one Flask app per AWS service on first use, through
a factory it is given. We give it a factory that builds moto's own app and, for ``backup``,
installs ``backup_ext`` on it (for ``s3``, ``s3_ext``; for ``iam``, ``iam_ext`` loads AWS's managed
policies, which every real account has); every other service is moto untouched.
One endpoint serves them all, exactly as ``ThreadedMotoServer`` does, but over persistent HTTP/1.1
connections as AWS serves them (``http11``: werkzeug's server closes every connection).
"""

from __future__ import annotations

import threading
from typing import Any

from modelinfra.sandbox.base import RunningService


def create_app(service: Any) -> Any:
    """moto's Flask app for ``service``, extended where moto falls short of the real API."""
    from moto.moto_server.werkzeug_app import create_backend_app

    if service == "iam":
        from modelinfra.sandbox.aws.iam_ext import install as install_iam

        install_iam()
    app = create_backend_app(service)
    if service == "backup":
        from modelinfra.sandbox.aws.backup_ext import install

        install(app)
    elif service == "s3":
        from modelinfra.sandbox.aws.s3_ext import install as install_s3

        install_s3(app)
    return app


def start_aws_emulator(host: str = "127.0.0.1", port: int = 0) -> RunningService:
    """Start moto (with the Backup extensions) in a daemon thread; ``port=0`` picks a free port.

    The returned service's ``url`` is the endpoint for every AWS client (``endpoint_url``); its
    ``handle.faults`` is the fault switch (``sandbox.aws.faults``: latency, throttling);
    ``handle.requests_served`` and ``handle.connections_opened`` count what it answered.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    from modelinfra.sandbox.aws.http11 import EmulatorServer, KeepAliveRequestHandler

    class QuietRequestHandler(KeepAliveRequestHandler):
        def log_request(self, *args: Any, **kwargs: Any) -> None:  # no access log on stderr
            pass

    from modelinfra.sandbox.aws.iam_ext import install as install_iam

    install_iam()  # before any service builds an IAM backend as a side effect
    from modelinfra.sandbox.aws.faults import FaultMiddleware

    app = FaultMiddleware(DomainDispatcherApplication(create_app))
    server = EmulatorServer(host, port, app, handler=QuietRequestHandler)
    server.faults = app.faults  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, name="moto-server", daemon=True)
    thread.start()
    bound_host, bound_port = server.server_address[:2]

    def stop() -> None:
        server.shutdown()
        server.close_connections()
        server.server_close()
        thread.join(timeout=10)

    return RunningService("aws", f"http://{bound_host}:{bound_port}", stop, handle=server)
