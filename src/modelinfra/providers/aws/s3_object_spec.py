"""The ``aws.s3_object`` spec model. No SDK here: ``validate`` imports it without boto3."""

from __future__ import annotations

import mimetypes
import re
from pathlib import PurePosixPath
from typing import Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from modelinfra.providers.aws.s3_names import check_bucket_name
from modelinfra.spec.fields import SpecModel

RESERVED_METADATA_PREFIX = "modelinfra-"
DEFAULT_CONTENT_TYPE = "application/octet-stream"

StorageClass = Literal[
    "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
    "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR",
]

_METADATA_KEY = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def guess_content_type(name: str) -> str:
    """The MIME type ``mimetypes`` guesses from a file name, else ``application/octet-stream``."""
    guessed, _ = mimetypes.guess_type(PurePosixPath(name).name, strict=False)
    return guessed or DEFAULT_CONTENT_TYPE


class S3ObjectSpec(SpecModel):
    """One object (a model artifact). Exactly one origin: ``source`` (a local file, relative to the
    spec) or a point-in-time restore (``restore_at`` or ``restore_version_id``: an older version of this
    same object becomes the current one again)."""

    bucket: str
    """Name of the bucket the object lives in (e.g. ``${bucket.name}``)."""
    key: str = Field(min_length=1)
    """Object key, at most 1024 bytes of UTF-8 (e.g. ``models/ranker.bin``)."""
    source: str | None = None
    """Local file uploaded as the object, relative to the spec; compared by SHA-256, never by ETag."""
    content_type: str | None = None
    """MIME type; default guessed from the file name (``application/octet-stream`` when unknown)."""
    metadata: dict[str, str] = Field(default_factory=dict)
    """User metadata (``x-amz-meta-*``): lowercase names; the ``modelinfra-`` prefix is reserved."""
    storage_class: StorageClass = "STANDARD"
    """S3 storage class the object is written in."""
    restore_at: AwareDatetime | None = None
    """Point-in-time restore: the version current at this RFC 3339 time (with a timezone) becomes current
    again."""
    restore_version_id: str | None = Field(default=None, min_length=1)
    """Point-in-time restore: this version id of the same key becomes the current one again."""

    @field_validator("bucket")
    @classmethod
    def _valid_bucket(cls, bucket: str) -> str:
        return check_bucket_name(bucket)

    @field_validator("key")
    @classmethod
    def _valid_key(cls, key: str) -> str:
        if len(key.encode("utf-8")) > 1024:
            raise ValueError("must be at most 1024 bytes long (UTF-8)")
        return key

    @field_validator("metadata")
    @classmethod
    def _valid_metadata(cls, metadata: dict[str, str]) -> dict[str, str]:
        for key, value in metadata.items():
            if key.startswith(RESERVED_METADATA_PREFIX):
                raise ValueError(f"metadata key {key!r}: the {RESERVED_METADATA_PREFIX!r} prefix is reserved")
            if not _METADATA_KEY.match(key):
                raise ValueError(f"metadata key {key!r}: use lowercase letters, digits, '.', '_' and '-' "
                                 "(S3 stores metadata names lowercased)")
            if not value.isascii():
                raise ValueError(f"metadata {key!r}: the value must be ASCII")
        return metadata

    @model_validator(mode="after")
    def _one_origin(self) -> S3ObjectSpec:
        if self.restore_at is not None and self.restore_version_id is not None:
            raise ValueError("restore_at and restore_version_id are mutually exclusive")
        if self.source is None and not self.restoring:
            raise ValueError("source is required (unless restoring with restore_at or restore_version_id)")
        if self.content_type is None:
            self.content_type = guess_content_type(self.source or self.key)
        return self

    @property
    def restoring(self) -> bool:
        return self.restore_at is not None or self.restore_version_id is not None
