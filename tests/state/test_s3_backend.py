"""S3Backend against moto server over HTTP: the conformance suite (30 % of calls failing with 503
SlowDown included), plus what only S3 promises — encryption at rest, the versioning warning, a store
ignoring conditional writes refused, the heartbeat, bad input as one-line errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import boto3
import pytest

from modelinfra.errors import LockHeldError, StateError
from modelinfra.reporting import Reporter
from modelinfra.sandbox.aws.s3_conditional import FAULTS, IGNORE_CONDITIONS
from modelinfra.sandbox.base import RunningService
from modelinfra.state import StateManager
from modelinfra.state.backends.s3 import S3Backend
from tests.state.conformance import BackendConformance, OpenBackend, sample_state


class RecordingReporter(Reporter):
    def __init__(self) -> None:
        self.warnings: list[str] = []

    def warning(self, message: str) -> None:
        self.warnings.append(message)


@pytest.fixture
def s3(aws_env: dict[str, str]):  # noqa: ANN201
    return boto3.client("s3", endpoint_url=aws_env["AWS_ENDPOINT_URL"], region_name="us-east-1")


@pytest.fixture
def bucket(s3, unique_name: str) -> str:  # noqa: ANN001
    name = f"state-{unique_name}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def opener(aws_emulator: RunningService, bucket: str, key: str = "stacks/x.state.json",
           reporter: Reporter | None = None, **extra: str) -> OpenBackend:
    def open_backend() -> S3Backend:
        kwargs = {"reporter": reporter} if reporter else {}
        return S3Backend(bucket, key, region="us-east-1", endpoint_url=aws_emulator.url, **extra, **kwargs)
    return open_backend


class BucketFaultInjection:
    """``StoreFaults`` for S3: moto server answers that share of the bucket's requests 503 SlowDown."""

    def __init__(self, aws_emulator: RunningService, bucket: str):
        self.open_backend, self.bucket = opener(aws_emulator, bucket), bucket

    def fail(self, ratio: float) -> None:
        FAULTS.configure(self.bucket, ratio)

    def injected(self) -> int:
        return FAULTS.injected.get(self.bucket, 0)


class TestS3BackendConformance(BackendConformance):
    @pytest.fixture
    def open_backend(self, aws_emulator: RunningService, bucket: str) -> OpenBackend:
        return opener(aws_emulator, bucket)

    @pytest.fixture
    def store_faults(self, aws_emulator: RunningService, bucket: str) -> BucketFaultInjection:
        return BucketFaultInjection(aws_emulator, bucket)


def test_state_is_encrypted_at_rest_sse_s3_or_kms(aws_emulator: RunningService, bucket: str, s3):  # noqa: ANN001
    StateManager(opener(aws_emulator, bucket)()).persist(sample_state())
    assert s3.head_object(Bucket=bucket, Key="stacks/x.state.json")["ServerSideEncryption"] == "AES256"
    StateManager(opener(aws_emulator, bucket, "k.json", kms_key_id="alias/modelinfra")()).persist(sample_state())
    head = s3.head_object(Bucket=bucket, Key="k.json")
    assert head["ServerSideEncryption"] == "aws:kms" and "alias/modelinfra" in head["SSEKMSKeyId"]


def test_every_write_is_kept_by_versioning_and_versioning_off_warns_once(aws_emulator: RunningService,
                                                                          bucket: str, s3):  # noqa: ANN001
    manager = StateManager(opener(aws_emulator, bucket)())
    state = manager.refresh("conformance")
    for n in range(3):
        state.outputs["n"] = {"value": n, "sensitive": False}
        manager.persist(state)
    versions = s3.list_object_versions(Bucket=bucket, Prefix="stacks/x.state.json")["Versions"]
    assert len([v for v in versions if v["Key"] == "stacks/x.state.json"]) == 3
    plain = bucket + "-plain"
    s3.create_bucket(Bucket=plain)
    reporter = RecordingReporter()
    manager = StateManager(opener(aws_emulator, plain, reporter=reporter)())
    state = manager.refresh("conformance")
    for n in range(2):
        state.outputs["n"] = {"value": n, "sensitive": False}
        manager.persist(state)
    assert len([w for w in reporter.warnings if "versioning off" in w]) == 1


def test_a_store_that_ignores_conditional_writes_is_refused(aws_emulator: RunningService, bucket: str, s3):  # noqa: ANN001
    IGNORE_CONDITIONS.add(bucket)
    try:
        with pytest.raises(StateError, match="does not honour conditional writes"):
            opener(aws_emulator, bucket)().lock("apply", 0)
    finally:
        IGNORE_CONDITIONS.discard(bucket)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)  # no lock, no probe left behind


def test_the_heartbeat_keeps_a_live_holders_lock_past_its_ttl(aws_emulator: RunningService, bucket: str, s3,  # noqa: ANN001
                                                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MODELINFRA_LOCK_TTL", "1")
    holder = opener(aws_emulator, bucket)()
    first = holder.lock("apply", 0)
    try:
        renewals: list[str] = []
        seen = threading.Event()

        def watch() -> None:  # wait (on the store) until expires has moved forward twice
            last = first.expires
            while len(renewals) < 2:
                current = holder.lock_info()
                if current is not None and current.expires != last:
                    renewals.append(current.expires)
                    last = current.expires
            seen.set()

        threading.Thread(target=watch, daemon=True).start()
        assert seen.wait(30)
        with pytest.raises(LockHeldError, match="expires"):
            opener(aws_emulator, bucket)().lock("apply", 0)
    finally:
        holder.unlock()
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="stacks/x.state.json.lock")


def test_unlock_force_checks_the_lock_id(aws_emulator: RunningService, bucket: str):
    holder = opener(aws_emulator, bucket)()
    info = holder.lock("apply", 0)
    rescuer = opener(aws_emulator, bucket)()
    with pytest.raises(StateError, match="not wrong-id"):
        rescuer.force_unlock("wrong-id")
    assert rescuer.force_unlock(info.id) is True
    assert rescuer.force_unlock(info.id) is False


@pytest.mark.parametrize("problem", ["missing bucket", "malformed state", "foreign lock"])
def test_bad_input_is_one_clear_line_and_writes_nothing(aws_emulator: RunningService, bucket: str, s3,  # noqa: ANN001
                                                        problem: str):
    key = "stacks/x.state.json"
    if problem == "missing bucket":
        backend = opener(aws_emulator, bucket + "-missing")()
        with pytest.raises(StateError, match="bucket .*-missing does not exist") as caught:
            backend.read()
        with pytest.raises(StateError, match="does not exist"):
            backend.lock("apply", 0)
    elif problem == "malformed state":
        s3.put_object(Bucket=bucket, Key=key, Body=b'{"version": 1, "lineage": ')
        with pytest.raises(StateError, match="is corrupt") as caught:
            StateManager(opener(aws_emulator, bucket)()).refresh("x")
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b'{"version": 1, "lineage": '
    else:
        s3.put_object(Bucket=bucket, Key=key + ".lock", Body=b"terraform was here")
        with pytest.raises(LockHeldError, match="not a modelinfra lock document") as caught:
            opener(aws_emulator, bucket)().lock("apply", 0)
        assert s3.get_object(Bucket=bucket, Key=key + ".lock")["Body"].read() == b"terraform was here"
    assert "\n" not in str(caught.value)


@pytest.fixture(autouse=True)
def _no_faults_left(bucket: str) -> Iterator[None]:
    yield
    FAULTS.configure(bucket, 0)
    IGNORE_CONDITIONS.discard(bucket)
