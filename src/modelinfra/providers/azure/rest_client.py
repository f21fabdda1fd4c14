"""A thin ARM REST client at one api-version, for services modelinfra talks to without an SDK.

Azure ML (azure-mgmt-machinelearningservices only speaks 2020-08-01, no model versions), Key Vault,
Log Analytics, Application Insights, Container Registry and role assignments go through the
session's ``ARMPipelineClient`` (``AzureSession.arm_pipeline()``: same credential, retry policy and
endpoint as the SDK clients) rather than one more heavy SDK each. Contract:

- ``get(path)`` -> the resource body, or ``None`` on 404 (a missing parent included);
- ``put(path, body)`` / ``patch(path, body)`` -> the resource body once the write is done: a 202
  is a long-running operation, polled with azure-mgmt-core's ``ARMPolling`` (Retry-After honoured,
  the session's polling interval);
- ``list(path, params)`` -> the ``value`` items of a collection, every page (``pages`` yields them
  page by page, following ``nextLink``);
- ``delete(path)`` -> None; 404 and 204 are success (already gone); a 202 is polled to the end.

Failures raise azure-core's ``HttpResponseError`` (ARM error format, so ``error.code`` is set) for
callers to map with ``providers.azure.errors``. ``path`` is relative to the ARM endpoint
(``/subscriptions/...``: an ARM id); the api-version is added here. No SDK import at module level.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


class ArmRestClient:
    def __init__(self, session: Any, api_version: str):
        self._session = session
        self.api_version = api_version

    @property
    def _pipeline(self) -> Any:
        return self._session.arm_pipeline()

    def get(self, path: str) -> dict[str, Any] | None:
        response = self._send("GET", path)
        if response.http_response.status_code == 404:
            return None
        self._check(response, (200,))
        return response.http_response.json()

    def put(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._write("PUT", path, body)

    def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._write("PATCH", path, body)

    def list(self, path: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
        """The ``value`` items of a collection GET (every page, following ``nextLink``)."""
        return [item for page in self.pages(path, params) for item in page]

    def pages(self, path: str, params: dict[str, str] | None = None) -> Iterator[list[dict[str, Any]]]:
        """The ``value`` items of a collection GET, one list per page, as the wire JSON has them (no
        SDK model is built). A page is requested once the one before it has been consumed."""
        link: str | None = path
        first = True
        while link:
            response = self._send("GET", link, params=params if first else None)
            self._check(response, (200,))
            page = response.http_response.json()
            first, link = False, page.get("nextLink") or None
            yield list(page.get("value") or [])

    def delete(self, path: str) -> None:
        response = self._send("DELETE", path)
        status = response.http_response.status_code
        if status in (404, 204):
            return
        self._check(response, (200, 202))
        if status == 202:
            self._poll(response)

    # -- helpers ---------------------------------------------------------------------------------
    def _write(self, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._send(method, path, body)
        self._check(response, (200, 201, 202))
        if response.http_response.status_code == 202:
            result = self._poll(response)
            if result is None:
                raise self._error(response, f"{method} {path}: the operation finished without a resource")
            return result
        return response.http_response.json()

    def _send(self, method: str, path: str, body: dict[str, Any] | None = None,
              params: dict[str, str] | None = None) -> Any:
        from azure.core.rest import HttpRequest

        pipeline = self._pipeline
        if path.startswith(("http://", "https://")):  # a nextLink carries its own query
            request = HttpRequest(method, path)
        else:
            request = HttpRequest(method, pipeline.format_url(path),
                                  params={"api-version": self.api_version, **(params or {})}, json=body)
        return pipeline.send_request(request, _return_pipeline_response=True)

    def _poll(self, initial: Any) -> dict[str, Any] | None:
        from azure.core.polling import LROPoller
        from azure.mgmt.core.polling.arm_polling import ARMPolling

        def deserialize(pipeline_response: Any) -> dict[str, Any] | None:
            response = pipeline_response.http_response
            if response.status_code == 204 or not response.text():
                return None
            return response.json()

        interval = self._session.client_kwargs().get("polling_interval", 30)
        poller = LROPoller(self._pipeline, initial, deserialize, ARMPolling(interval))
        return poller.result()

    def _check(self, response: Any, ok: tuple[int, ...]) -> None:
        if response.http_response.status_code not in ok:
            raise self._error(response)

    @staticmethod
    def _error(response: Any, message: str | None = None) -> Exception:
        from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
        from azure.mgmt.core.exceptions import ARMErrorFormat

        http = response.http_response
        cls = ResourceNotFoundError if http.status_code == 404 else HttpResponseError
        return cls(message=message, response=http, error_format=ARMErrorFormat)
