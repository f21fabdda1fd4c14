"""The one AWS tag-validation rule set, shared by every AWS spec model that takes ``tags``.

AWS (S3, Backup, and the tagging API generally): keys 1-128 characters, values at most 256, the
``aws:`` key prefix reserved, at most 50 tags per resource. modelinfra adds its own two tags
(``modelinfra-stack``, ``modelinfra-address``) to every taggable resource, so a user may set at
most 48 and never those two keys. No SDK here: spec models import it during ``validate``.
"""

from __future__ import annotations

from modelinfra.providers.base import MANAGED_TAG_ADDRESS, MANAGED_TAG_STACK

AWS_MAX_TAGS = 50
MAX_TAGS = AWS_MAX_TAGS - 2  # room for modelinfra's own two tags
MAX_KEY_LENGTH = 128
MAX_VALUE_LENGTH = 256


def check_tags(tags: dict[str, str]) -> dict[str, str]:
    """``tags`` unchanged if AWS would accept them next to modelinfra's managed tags; otherwise
    ``ValueError`` with a message naming the offending key (fit for a pydantic field validator)."""
    for key, value in tags.items():
        if key.lower().startswith("aws:"):
            raise ValueError(f"tag key {key!r}: the 'aws:' prefix is reserved by AWS")
        if key in (MANAGED_TAG_STACK, MANAGED_TAG_ADDRESS):
            raise ValueError(f"tag key {key!r} is set by modelinfra itself")
        if not 1 <= len(key) <= MAX_KEY_LENGTH:
            raise ValueError(f"tag key {key!r} must be 1 to {MAX_KEY_LENGTH} characters long")
        if len(value) > MAX_VALUE_LENGTH:
            raise ValueError(f"tag {key!r}: value must be at most {MAX_VALUE_LENGTH} characters long")
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags (AWS allows {AWS_MAX_TAGS}, modelinfra adds 2 of its own)")
    return tags
