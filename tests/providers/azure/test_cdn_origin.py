"""The pure half of ``cdn_origin``: blob endpoints -> origin host, ports and path mapping."""

from __future__ import annotations

import pytest

from modelinfra.errors import TerminalError
from modelinfra.providers.azure.cdn_origin import origin_from_blob_endpoint

ACCOUNT = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/acct"


def test_virtual_host_endpoint_has_default_ports_and_no_prefix() -> None:
    origin = origin_from_blob_endpoint(ACCOUNT, "https://acct.blob.core.windows.net/")
    assert (origin.host, origin.http_port, origin.https_port, origin.path_prefix) == (
        "acct.blob.core.windows.net", 80, 443, "")
    assert origin.display_host == "acct.blob.core.windows.net"
    assert (origin.wire_path("/models"), origin.wire_path(None)) == ("/models", None)
    assert origin.user_path("/models") == "/models"


def test_path_style_endpoint_keeps_the_account_segment_on_the_wire_only() -> None:
    origin = origin_from_blob_endpoint(ACCOUNT, "http://127.0.0.1:10000/devstoreaccount1/")
    assert (origin.host, origin.http_port, origin.https_port) == ("127.0.0.1", 10000, 443)
    assert origin.display_host == "127.0.0.1:10000"
    assert origin.wire_path("/models") == "/devstoreaccount1/models"
    assert origin.wire_path(None) == "/devstoreaccount1"
    assert origin.user_path("/devstoreaccount1/models") == "/models"
    assert origin.user_path("/devstoreaccount1") is None
    assert origin.user_path("/elsewhere/models") == "/elsewhere/models"  # not ours: shown as is


def test_an_endpoint_without_a_host_is_terminal() -> None:
    with pytest.raises(TerminalError, match="invalid blob endpoint"):
        origin_from_blob_endpoint(ACCOUNT, "not a url")
