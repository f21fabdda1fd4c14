"""S3 general-purpose bucket naming rules (AWS "Bucket naming rules"), one message per violation.

Pure functions, no SDK. ``bucket_name_problems`` lists every rule a name breaks;
``check_bucket_name`` raises ``ValueError`` with all of them (the spec model's validator).
"""

from __future__ import annotations

import re

MIN_LENGTH = 3
MAX_LENGTH = 63
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")

_ALLOWED = re.compile(r"^[a-z0-9.-]*$")
_EDGE = re.compile(r"^[a-z0-9]$")
_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def bucket_name_problems(name: str) -> list[str]:
    """Every naming rule ``name`` breaks, in a stable order; empty when the name is valid."""
    problems: list[str] = []
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        problems.append(f"must be {MIN_LENGTH} to {MAX_LENGTH} characters long (got {len(name)})")
    if not _ALLOWED.match(name):
        bad = sorted({c for c in name if not _ALLOWED.match(c)})
        shown = " ".join(repr(c) for c in bad)
        problems.append(f"may contain only lowercase letters, digits, dots and hyphens (found {shown})")
    if name and not (_EDGE.match(name[0]) and _EDGE.match(name[-1])):
        problems.append("must start and end with a lowercase letter or a digit")
    if ".." in name:
        problems.append("must not contain two adjacent dots")
    if _IPV4.match(name):
        problems.append("must not be formatted as an IP address")
    for prefix in RESERVED_PREFIXES:
        if name.startswith(prefix):
            problems.append(f"must not start with the reserved prefix {prefix!r}")
    for suffix in RESERVED_SUFFIXES:
        if name.endswith(suffix):
            problems.append(f"must not end with the reserved suffix {suffix!r}")
    return problems


def check_bucket_name(name: str) -> str:
    """``name`` if valid, else ``ValueError`` naming every broken rule."""
    problems = bucket_name_problems(name)
    if problems:
        raise ValueError(f"invalid S3 bucket name {name!r}: " + "; ".join(problems))
    return name


def bucket_and_key(cloud_id: str, *, want_key: bool, form: str) -> tuple[str, str]:
    """``(bucket, key)`` from ``NAME[/KEY]``, ``arn:aws:s3:::NAME[/KEY]`` or ``s3://NAME[/KEY]``
    (the forms ``import`` accepts); ``ValueError`` naming ``form`` when it is none of them."""
    text = cloud_id.strip()
    for prefix in ("arn:aws:s3:::", "arn:aws-cn:s3:::", "arn:aws-us-gov:s3:::", "s3://"):
        if text.startswith(prefix):
            text = text[len(prefix):]
            break
    else:
        if text.startswith("arn:"):
            raise ValueError(f"{cloud_id!r} is not an S3 ARN; expected {form}")
    bucket, _, key = text.partition("/")
    if want_key != bool(key):
        raise ValueError(f"{cloud_id!r}: expected {form}")
    problems = bucket_name_problems(bucket)
    if problems:
        raise ValueError(f"{cloud_id!r}: bucket name {bucket!r} {problems[0]}; expected {form}")
    return bucket, key
