"""One boto3 session per run, with explicit retries; clients are created once and shared.

boto3 sessions are not thread-safe but clients are: clients are built under a lock and then used
from any worker thread. ``endpoint_url`` (spec) or ``AWS_ENDPOINT_URL`` (environment) points every
client at an emulator such as moto server.

Retries: botocore's ``standard`` mode (``MODELINFRA_AWS_RETRY_MODE=adaptive`` adds botocore's
client-side rate limiter, which slows every caller down once throttling starts), with
``settings.max_attempts`` attempts; each retry and request is logged (``retry_log``).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from modelinfra.errors import ProviderError
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig


class AwsSession:
    def __init__(self, config: AwsProviderConfig, settings: Settings):
        import boto3
        from botocore.config import Config

        self.region = config.region
        self.endpoint_url = config.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        from botocore.exceptions import ProfileNotFound

        try:
            self._session = boto3.session.Session(profile_name=config.profile, region_name=config.region)
        except ProfileNotFound as exc:
            where = "providers.aws.profile" if config.profile else "AWS_PROFILE"
            raise ProviderError(f"AWS profile {exc.kwargs.get('profile')!r} (from {where}) is not in the AWS "
                                "config or credentials file: run `aws configure --profile NAME`, or fix the name") from None
        self._config = Config(
            retries={"mode": os.environ.get("MODELINFRA_AWS_RETRY_MODE", "standard"),
                     "total_max_attempts": settings.max_attempts},
            max_pool_connections=max(10, settings.parallelism * 2),
            connect_timeout=10,
            read_timeout=60,
        )
        self._max_attempts, self._max_backoff = settings.max_attempts, settings.retry_backoff_max
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        """The shared client for ``service`` (``s3``, ``backup``, ``sts``...)."""
        with self._lock:
            if service not in self._clients:
                from modelinfra.providers.aws.retry_log import instrument

                client = self._session.client(service, endpoint_url=self.endpoint_url, config=self._config)
                instrument(client, self._max_attempts, self._max_backoff)
                self._clients[service] = client
            return self._clients[service]
