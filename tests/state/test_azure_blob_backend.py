"""AzureBlobBackend against Azurite over HTTP: the conformance suite (30 % of calls failing with 503
ServerBusy through ``FaultyProxy`` included), plus what only the Azure
backend promises — a snapshot before every overwrite, the lease enforced by the store (a holder
whose lease was broken cannot write), the heartbeat, a store ignoring conditional headers refused,
bad input as one-line errors, and ``from_config`` reaching Azurite
through the ARM emulator's ``listKeys``.

Faults and a condition-ignoring store are a loopback HTTP proxy in front of Azurite (the SDK and
Azurite stay real); requests through it are signed with a SAS token, which signs no headers, so the
proxy may drop ``If-Match`` / ``If-None-Match`` as such a store would.

Azurite 3.35 (package-lock.json) honours everything the backend relies on, as Azure does: Put Blob
with ``If-None-Match: *`` (409 BlobAlreadyExists) and ``If-Match`` (412 ConditionNotMet); leases with
a proposed id, 15–60 s only (5 s is 400), renew / release / break, a write without the lease id of a
leased blob refused (412 LeaseIdMissing), a broken lease's id refused (412); Snapshot Blob with
``If-Match``; a lease does not change the blob's ETag. Blob versioning is not used (snapshots are)."""

from __future__ import annotations

import http.client
import json
import random
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

from modelinfra.errors import LockHeldError, StateError
from modelinfra.reporting import Reporter
from modelinfra.sandbox.azurite import ACCOUNT_KEY, ACCOUNT_NAME, AZURITE_API_VERSION
from modelinfra.sandbox.base import RunningService
from modelinfra.spec.model import AzureBlobStateConfig
from modelinfra.spec.providers import AzureProviderConfig
from modelinfra.state import StateManager
from modelinfra.state.backends.azure_blob import AzureBlobBackend
from tests.conftest import SUBSCRIPTION_ID
from tests.e2e.examples import create_storage_account
from tests.state.conformance import BackendConformance, OpenBackend, sample_state

BLOB = "stacks/x.state.json"
KEY = {"account_name": ACCOUNT_NAME, "account_key": ACCOUNT_KEY}


class RecordingReporter(Reporter):
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, message: str) -> None:
        self.warnings.append(message)


@pytest.fixture
def service(azurite: RunningService):  # noqa: ANN201
    return BlobServiceClient(azurite.extra["blob_endpoint"], credential=KEY, api_version=AZURITE_API_VERSION)


@pytest.fixture
def container(service, unique_name: str):  # noqa: ANN001, ANN201
    client = service.get_container_client(f"state-{unique_name}")
    client.create_container()
    return client


def opener(endpoint: str, container_name: str, blob: str = BLOB, credential: object = None,
           reporter: Reporter | None = None) -> OpenBackend:
    def open_backend() -> AzureBlobBackend:
        kwargs = {"reporter": reporter} if reporter else {}
        return AzureBlobBackend(endpoint, container_name, blob, credential=credential or KEY,
                                api_version=AZURITE_API_VERSION, **kwargs)
    return open_backend


@pytest.fixture
def open_azure(azurite: RunningService, container) -> OpenBackend:  # noqa: ANN001
    return opener(azurite.extra["blob_endpoint"], container.container_name)


class ProxyFaultInjection:
    """``StoreFaults`` for Azure: handles reach Azurite through ``FaultyProxy``: a failing request
    answers 503 ServerBusy before Azurite sees it, or (one in three) after Azurite carried it out (a
    lost answer: the SDK's retry meets the effect of its first attempt)."""

    def __init__(self, proxy: FaultyProxy, azurite: RunningService, container_name: str):
        self.proxy = proxy
        self.open_backend = opener(proxy.endpoint(urlsplit(azurite.extra["blob_endpoint"]).path), container_name)
        self.lost = 0
        self._random = random.Random(7)

    def fail(self, ratio: float) -> None:
        self.proxy.fail_ratio = ratio * 2 / 3
        self.proxy.lose_answer = self._lose if ratio else lambda method, path: False

    def _lose(self, method: str, path: str) -> bool:
        lose = self._random.random() < self.proxy.fail_ratio / 2
        self.lost += lose
        return lose

    def injected(self) -> int:
        return self.proxy.injected + self.lost


class TestAzureBlobBackendConformance(BackendConformance):
    @pytest.fixture
    def open_backend(self, open_azure: OpenBackend) -> OpenBackend:
        return open_azure

    @pytest.fixture
    def store_faults(self, proxy: FaultyProxy, azurite: RunningService, container) -> ProxyFaultInjection:  # noqa: ANN001
        return ProxyFaultInjection(proxy, azurite, container.container_name)


def _blobs(container) -> dict[str, list[str | None]]:  # noqa: ANN001
    found: dict[str, list[str | None]] = {}
    for blob in container.list_blobs(include=["snapshots"]):
        found.setdefault(blob.name, []).append(blob.snapshot)
    return found


def test_every_overwrite_keeps_the_previous_state_as_a_snapshot(open_azure: OpenBackend, container):  # noqa: ANN001
    manager = StateManager(open_azure())
    with manager.lock("apply", 0):
        state = manager.refresh("conformance")
        for n in range(3):
            state.outputs["n"] = {"value": n, "sensitive": False}
            manager.persist(state)
    snapshots = sorted(s for s in _blobs(container)[BLOB] if s is not None)
    assert len(snapshots) == 2  # the first write replaced only the lock's empty placeholder
    kept = [json.loads(container.get_blob_client(BLOB, snapshot=s).download_blob().readall()) for s in snapshots]
    assert [(k["serial"], k["outputs"]["n"]["value"]) for k in kept] == [(1, 0), (2, 1)]
    assert open_azure().read().serial == 3  # type: ignore[union-attr]


def test_a_holder_whose_lease_was_broken_cannot_write(open_azure: OpenBackend, container):  # noqa: ANN001
    StateManager(open_azure()).persist(sample_state())
    holder = StateManager(open_azure())
    with holder.lock("apply", 0):
        state = holder.refresh("conformance")
        assert open_azure().force_unlock() is True
        intruder = open_azure()
        intruder.lock("apply", 0)  # the state is unchanged: only the lease stops the old holder
        try:
            state.outputs["who"] = {"value": "holder", "sensitive": False}
            with pytest.raises(StateError, match="lost the state lock"):
                holder.persist(state)
        finally:
            intruder.unlock()
    stored = open_azure().read()
    assert stored is not None and stored.serial == 1 and "who" not in stored.outputs


def test_an_unlocked_writer_cannot_write_under_someone_elses_lease(open_azure: OpenBackend):
    StateManager(open_azure()).persist(sample_state())
    holder = open_azure()
    info = holder.lock("apply", 0)
    try:
        other = StateManager(open_azure())
        state = other.refresh("conformance")
        state.outputs["who"] = {"value": "other", "sensitive": False}
        with pytest.raises(LockHeldError, match=f"lock id {info.id}.*Nothing was written"):
            other.persist(state)
    finally:
        holder.unlock()
    assert "who" not in open_azure().read().outputs  # type: ignore[union-attr]


def test_the_heartbeat_renews_the_lease_and_the_lock_document(open_azure: OpenBackend, container,  # noqa: ANN001
                                                               monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MODELINFRA_LOCK_TTL", "1")  # below Azure's minimum: a 15 s lease, renewed every 5 s
    holder = open_azure()
    first = holder.lock("apply", 0)
    assert datetime.fromisoformat(first.expires) - datetime.fromisoformat(first.created) == timedelta(seconds=15)
    try:
        renewed = threading.Event()

        def watch() -> None:  # wait (on the store) until expires has moved forward
            while not renewed.is_set():
                current = holder.lock_info()
                if current is not None and current.expires != first.expires:
                    renewed.set()
                renewed.wait(0.1)  # poll the store ten times a second, not flat out

        threading.Thread(target=watch, daemon=True).start()
        assert renewed.wait(30)
        assert container.get_blob_client(BLOB).get_blob_properties().lease.state == "leased"
        with pytest.raises(LockHeldError, match="expires"):
            open_azure().lock("apply", 0)
    finally:
        holder.unlock()
    assert container.get_blob_client(BLOB).get_blob_properties().lease.state == "available"
    assert set(_blobs(container)) == {BLOB}  # no lock document, no probe left behind


def test_unlock_force_checks_the_lock_id(open_azure: OpenBackend):
    holder = open_azure()
    info = holder.lock("apply", 0)
    rescuer = open_azure()
    with pytest.raises(StateError, match="not wrong-id; nothing was released"):
        rescuer.force_unlock("wrong-id")
    assert rescuer.force_unlock(info.id) is True
    assert rescuer.force_unlock(info.id) is False
    assert rescuer.lock_info() is None


@pytest.mark.parametrize("problem", ["missing container", "no permission", "malformed state", "foreign lease",
                                     "foreign lock document"])
def test_bad_input_is_one_clear_line_and_writes_nothing(azurite: RunningService, container, problem: str):  # noqa: ANN001
    endpoint = azurite.extra["blob_endpoint"]
    blob = container.get_blob_client(BLOB)
    if problem == "missing container":
        backend = opener(endpoint, container.container_name + "-missing")()
        with pytest.raises(StateError, match="container .*-missing does not exist") as caught:
            backend.read()
        with pytest.raises(StateError, match="does not exist"):
            backend.lock("apply", 0)
    elif problem == "no permission":
        wrong = {"account_name": ACCOUNT_NAME, "account_key": "A" * 86 + "=="}
        with pytest.raises(StateError, match="no permission on .*x.state.json") as caught:
            opener(endpoint, container.container_name, credential=wrong)().read()
    elif problem == "malformed state":
        blob.upload_blob(b'{"version": 1, "lineage": ')
        with pytest.raises(StateError, match="is corrupt") as caught:
            StateManager(opener(endpoint, container.container_name)()).refresh("x")
        assert blob.download_blob().readall() == b'{"version": 1, "lineage": '
    elif problem == "foreign lease":
        blob.upload_blob(b"")
        lease = blob.acquire_lease(lease_duration=60)
        try:
            with pytest.raises(LockHeldError, match="lease was not taken by modelinfra") as caught:
                opener(endpoint, container.container_name)().lock("apply", 0)
            with pytest.raises(LockHeldError, match="lease was not taken by modelinfra"):
                StateManager(opener(endpoint, container.container_name)()).persist(sample_state())
        finally:
            lease.release()
        assert blob.download_blob().readall() == b""
    else:
        blob.upload_blob(b"")
        container.get_blob_client(BLOB + ".lock").upload_blob(b"terraform was here")
        lease = blob.acquire_lease(lease_duration=60)
        try:
            with pytest.raises(LockHeldError, match="not a modelinfra lock document") as caught:
                opener(endpoint, container.container_name)().lock("apply", 0)
        finally:
            lease.release()
    assert "\n" not in str(caught.value) and "Traceback" not in str(caught.value)


class FaultyProxy:
    """A loopback proxy in front of Azurite: ``fail_ratio`` of the requests answer 503 ServerBusy
    before Azurite sees them; with ``ignore_conditions`` the rest lose If-Match / If-None-Match;
    a request for which ``lose_answer(method, path)`` is true reaches Azurite but its answer is
    replaced by a 503 (a lost answer: the SDK retries a request that landed); once ``dead_after``
    requests were sent, none reaches Azurite any more. ``sent`` logs every request as (method, path
    with query, body bytes)."""

    def __init__(self, upstream: str):
        self.upstream = urlsplit(upstream)
        self.fail_ratio = 0.0
        self.ignore_conditions = False
        self.injected = 0
        self.lose_answer: Callable[[str, str], bool] = lambda method, path: False
        self.sent: list[tuple[str, str, int]] = []
        self.dead_after: int | None = None  # requests after this many answer 503 unseen: the client died
        self._random = random.Random(12)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def endpoint(self, account_path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{account_path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _fails(self) -> bool:
        with self._lock:
            fails = self._random.random() < self.fail_ratio
            self.injected += fails
            return fails

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes: no delayed-ACK stall

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.sent.append((self.command, self.path, len(body)))
                dead = proxy.dead_after is not None and len(proxy.sent) > proxy.dead_after
                if dead or proxy._fails():
                    self.send_response(503)
                    self.send_header("x-ms-error-code", "ServerBusy")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = {k: v for k, v in self.headers.items()
                           if not (proxy.ignore_conditions and k.lower() in ("if-match", "if-none-match"))}
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    reply = conn.getresponse()
                    data = reply.read()
                finally:
                    conn.close()
                if proxy.lose_answer(self.command, self.path):
                    self.send_response(503)
                    self.send_header("x-ms-error-code", "ServerBusy")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward  # noqa: N815 - stdlib names

        return Handler


@pytest.fixture
def proxy(azurite: RunningService) -> Iterator[FaultyProxy]:
    faulty = FaultyProxy(azurite.url)
    yield faulty
    faulty.close()


def _sas(container) -> str:  # noqa: ANN001
    return generate_container_sas(ACCOUNT_NAME, container.container_name, account_key=ACCOUNT_KEY,
                                  permission=ContainerSasPermissions(read=True, write=True, delete=True, list=True,
                                                                     add=True, create=True),
                                  expiry=datetime.now(UTC) + timedelta(hours=1))


def test_a_store_that_ignores_conditional_writes_is_refused(azurite: RunningService, container,  # noqa: ANN001
                                                            proxy: FaultyProxy):
    proxy.ignore_conditions = True
    endpoint = proxy.endpoint(urlsplit(azurite.extra["blob_endpoint"]).path)
    backend = opener(endpoint, container.container_name, credential=_sas(container))()
    with pytest.raises(StateError, match="does not honour conditional writes"):
        backend.lock("apply", 0)
    assert _blobs(container) == {}  # no lock, no placeholder, no probe left behind
    proxy.ignore_conditions = False
    honest = opener(endpoint, container.container_name, credential=_sas(container))()
    honest.lock("apply", 0)  # the same path, SAS and proxy honour conditions again: it locks
    honest.unlock()


# -- from_config: the spec's state block, through the provider's credentials and ARM ------------------
@pytest.fixture
def storage_account(azure_env: dict[str, str], service, unique_name: str) -> tuple[str, str, str]:  # noqa: ANN001
    """(resource group, account, container) created through the ARM emulator (the container lands in Azurite)."""
    group, account, name = f"rg-{unique_name}", f"st{unique_name}", f"state-{unique_name}"
    create_storage_account(group, account, name)
    return group, account, name


def test_from_config_reaches_the_account_through_arm_list_keys(storage_account: tuple[str, str, str], service):  # noqa: ANN001
    group, account, name = storage_account
    config = AzureBlobStateConfig(backend="azure_blob", account=account, container=name, blob=BLOB,
                                  resource_group=group)
    azure = AzureProviderConfig(subscription_id=SUBSCRIPTION_ID)
    manager = StateManager(AzureBlobBackend.from_config(config, azure, reporter=RecordingReporter()))
    with manager.lock("apply", 0) as info:
        manager.persist(sample_state())
        assert info.path.endswith(f"/{name}/{BLOB}")
    stored = service.get_container_client(name).get_blob_client(BLOB).download_blob().readall()
    assert json.loads(stored)["serial"] == 1
    missing = config.model_copy(update={"account": "stnosuchaccount"})
    with pytest.raises(StateError, match="storage account stnosuchaccount .* does not exist"):
        AzureBlobBackend.from_config(missing, azure, reporter=RecordingReporter())


def test_from_config_names_what_is_missing_for_a_credential(azure_env: dict[str, str]):
    config = AzureBlobStateConfig(backend="azure_blob", account="mlstate", container="modelinfra-state", blob=BLOB)
    azure = AzureProviderConfig(subscription_id=SUBSCRIPTION_ID)
    with pytest.raises(StateError, match="needs state.resource_group"):
        AzureBlobBackend.from_config(config, azure, reporter=RecordingReporter())
    with pytest.raises(StateError, match="needs providers.azure"):
        AzureBlobBackend.from_config(config.model_copy(update={"resource_group": "rg"}), None,
                                     reporter=RecordingReporter())


@pytest.mark.parametrize(("cloud", "endpoint", "expected"), [
    ("public", None, "https://mlstate.blob.core.windows.net/modelinfra-state/x.json"),
    ("china", None, "https://mlstate.blob.core.chinacloudapi.cn/modelinfra-state/x.json"),
    ("public", "https://mlstate.privatelink.example/", "https://mlstate.privatelink.example/modelinfra-state/x.json"),
])
def test_from_config_endpoint_follows_the_cloud_unless_overridden(monkeypatch: pytest.MonkeyPatch, cloud: str,
                                                                  endpoint: str | None, expected: str):
    monkeypatch.delenv("MODELINFRA_AZURE_ENDPOINT", raising=False)
    config = AzureBlobStateConfig(backend="azure_blob", account="mlstate", container="modelinfra-state",
                                  blob="x.json", endpoint=endpoint)
    azure = AzureProviderConfig(subscription_id=str(uuid.UUID(int=1)), cloud=cloud)  # type: ignore[arg-type]
    backend = AzureBlobBackend.from_config(config, azure, reporter=RecordingReporter())
    assert backend.path == expected and backend.api_version is None
