"""Helpers for the ``read_many`` tests: a batch read settled (follow-ups run, omissions read) and
the same resources read one by one, with the requests each took."""

from __future__ import annotations

from typing import Any

from modelinfra.providers.base import ResourceContext, ResourceHandler
from modelinfra.providers.requests_count import requests_sent


def settle(handler: ResourceHandler, ctx: ResourceContext,
           recorded: dict[str, tuple[str, dict[str, Any]]]) -> tuple[dict[str, Any], set[str], int]:
    """(answer per address with follow-ups run and omissions read, the addresses that needed
    their own read, requests sent)."""
    before = requests_sent()
    answers = handler.read_many(ctx, recorded)
    out: dict[str, Any] = {}
    separate: set[str] = set()
    for address, (cloud_id, _) in recorded.items():
        answer = answers.get(address, handler.read)
        if callable(answer):
            separate.add(address)
            answer = answer(ctx) if address in answers else handler.read(ctx, cloud_id)
        out[address] = answer
    return out, separate, requests_sent() - before


def one_by_one(handler: ResourceHandler, ctx: ResourceContext,
               recorded: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    return {address: handler.read(ctx, cloud_id) for address, (cloud_id, _) in recorded.items()}
