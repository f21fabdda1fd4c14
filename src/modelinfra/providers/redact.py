"""URLs safe to log: no query-string secrets (SAS signatures, tokens, keys) and no user:password."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SECRET_PARAMS = frozenset({"sig", "signature", "x-amz-signature", "x-amz-security-token", "x-amz-credential",
                           "code", "token", "access_token", "key", "se", "sp", "skoid", "sktid", "sv"})


def redact_url(url: str) -> str:
    """``url`` with secret query values replaced by ``REDACTED`` and any userinfo removed."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    query = [(k, "REDACTED" if k.lower() in SECRET_PARAMS else v)
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query, safe="$,:/"), ""))
