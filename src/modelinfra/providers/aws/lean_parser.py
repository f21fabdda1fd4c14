"""botocore's REST response parsers with the header walk done once per response, not per member.

botocore parses a REST response's modeled headers by walking every member of the output shape
(HeadObject has about 60), reading each member's ``serialization`` and probing the response's
case-insensitive ``HeadersDict`` twice per header member (``in``, then ``[]``, each lowercasing its
key). For a no-op plan of many objects that walk is the largest part of parsing a HEAD.

``LeanParserFactory`` builds the same parsers with one change: per output shape, the members that
live outside the payload are listed once (keyed by the shape, which
botocore's operation model caches per client), and per response the headers are lowercased once
into a plain dict. The parsed result is identical; anything other than a single ``header`` member
(a ``headers`` prefix map, ``statusCode``) is parsed by botocore's own code.

botocore creates a parser per response, so the per-shape lists live in one process-wide dict
(bounded by the operations used; filling it races harmlessly, every writer storing an equal tuple).
"""

from __future__ import annotations

from typing import Any, ClassVar

from botocore import parsers

_Plan = tuple[tuple[str, Any, str | None, str], ...]
"""(member name, member shape, location, lowercased header name) for each located member."""


class _LeanHeaders:
    """Mixin for a ``BaseRestParser`` subclass: the same ``_parse_non_payload_attrs``, O(headers +
    located members) per response."""

    _plans: ClassVar[dict[Any, _Plan]] = {}

    def _located(self, shape: Any, member_shapes: Any) -> _Plan:
        plan = self._plans.get(shape)
        if plan is None:
            plan = tuple(
                (name, member, location, member.serialization.get("name", name).lower())
                for name, member in member_shapes.items()
                if (location := member.serialization.get("location")) is not None)
            self._plans[shape] = plan
        return plan

    def _parse_non_payload_attrs(self, response: dict[str, Any], shape: Any, member_shapes: Any,
                                 final_parsed: dict[str, Any]) -> None:
        headers = response["headers"]
        lowered: dict[str, Any] | None = None
        for name, member, location, header_name in self._located(shape, member_shapes):
            if location == "header":
                if lowered is None:
                    lowered = {key.lower(): value for key, value in headers.items()}
                if header_name in lowered:
                    final_parsed[name] = self._parse_shape(member, lowered[header_name])  # type: ignore[attr-defined]
            elif location == "statusCode":
                final_parsed[name] = self._parse_shape(member, response["status_code"])  # type: ignore[attr-defined]
            elif location == "headers":
                final_parsed[name] = self._parse_header_map(member, headers)  # type: ignore[attr-defined]


class LeanRestXMLParser(_LeanHeaders, parsers.RestXMLParser):
    """``RestXMLParser`` (S3, CloudFront, Route 53) with the header walk of ``_LeanHeaders``."""


class LeanRestJSONParser(_LeanHeaders, parsers.RestJSONParser):
    """``RestJSONParser`` (Backup, Lambda...) with the header walk of ``_LeanHeaders``."""


LEAN = {"rest-xml": LeanRestXMLParser, "rest-json": LeanRestJSONParser}


class LeanParserFactory(parsers.ResponseParserFactory):
    """botocore's parser factory, handing out the lean REST parsers (other protocols unchanged)."""

    def create_parser(self, protocol_name: str) -> Any:
        parser_cls = LEAN.get(protocol_name) or parsers.PROTOCOL_PARSERS[protocol_name]
        return parser_cls(**self._defaults)
