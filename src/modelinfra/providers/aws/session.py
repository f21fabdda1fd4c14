"""One boto3 session per run, with explicit retries; clients are created once and shared.

boto3 sessions are not thread-safe but clients are: clients are built under a lock and then used
from any worker thread. ``endpoint_url`` (spec) or ``AWS_ENDPOINT_URL`` (environment) points every
client at an emulator such as moto server.

Connections: one client per service, shared by every worker thread, keeps its connections alive
(TCP keepalive on) in a pool sized for ``parallelism`` workers (``FAN_OUT``).

Retries: botocore's ``standard`` mode (``MODELINFRA_AWS_RETRY_MODE=adaptive`` adds botocore's
client-side rate limiter, which slows every caller down once throttling starts), with
``settings.max_attempts`` attempts; each retry and request is logged (``retry_log``).

Timestamps (``Last-Modified`` of every HEAD, ``LastModified`` of listings) are parsed by the
standard library when they are in the two forms AWS sends (RFC 1123 headers, ISO 8601 bodies) and
by botocore's dateutil-based parser otherwise: same aware UTC datetimes, a fraction of the CPU per
response. REST responses are parsed by ``lean_parser``: the same result, the headers walked once.
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from modelinfra.errors import ProviderError
from modelinfra.settings import Settings
from modelinfra.spec.providers import AwsProviderConfig

FAN_OUT = 12
"""Requests one worker's operation may have in flight at once (a bucket read: HeadBucket and its 11
configuration GETs; a multipart transfer: 8 parts). The connection pool holds ``parallelism`` times
as many, so concurrent calls reuse persistent connections instead of opening and discarding extra
ones (urllib3 warns "Connection pool is full" when it must). Connections open only when needed."""


class AwsSession:
    def __init__(self, config: AwsProviderConfig, settings: Settings):
        import boto3
        import botocore.session
        from botocore.config import Config

        self.region = config.region
        self.endpoint_url = config.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        from botocore.exceptions import ProfileNotFound

        from modelinfra.providers.aws.lean_parser import LeanParserFactory

        core = botocore.session.get_session()
        parser_factory = LeanParserFactory()
        parser_factory.set_parser_defaults(timestamp_parser=parse_timestamp)
        core.register_component("response_parser_factory", parser_factory)
        try:
            self._session = boto3.session.Session(profile_name=config.profile, region_name=config.region,
                                                  botocore_session=core)
        except ProfileNotFound as exc:
            where = "providers.aws.profile" if config.profile else "AWS_PROFILE"
            raise ProviderError(f"AWS profile {exc.kwargs.get('profile')!r} (from {where}) is not in the AWS "
                                "config or credentials file: run `aws configure --profile NAME`, or fix the name") from None
        self._config = Config(
            retries={"mode": os.environ.get("MODELINFRA_AWS_RETRY_MODE", "standard"),
                     "total_max_attempts": settings.max_attempts},
            max_pool_connections=settings.parallelism * FAN_OUT,
            tcp_keepalive=True,
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


def parse_timestamp(value: Any) -> datetime:
    """An aware datetime from an AWS timestamp: ``Wed, 02 Dec 2026 15:52:20 GMT`` or
    ``2026-12-02T15:52:20.000Z`` directly, anything else (epoch numbers, odd forms) by botocore."""
    if isinstance(value, str):
        try:
            parsed = parsedate_to_datetime(value) if value.endswith("GMT") else datetime.fromisoformat(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    from botocore.utils import parse_timestamp as botocore_parse

    return botocore_parse(value)
