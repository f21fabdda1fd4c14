"""The state journal: durability per action at O(1) cost (DESIGN.md §3).

A journal is an append-only sequence of records beside a full state document, its *base*. A
record is one durable step of a run — the resources it sets and the ones it removes — so making
an action durable costs the size of what changed, not the size of the state. The *logical* state
is the base with every record replayed in order; every read (``StateManager.read`` and
``snapshot``, so ``plan``, ``drift`` and ``show`` too) sees it. Writers compact: they write the
full logical state and remove the journal, at the end of a run and at most every few seconds
during a long one.

Format (local backend: ``<state>.journal``; one JSON document per line, UTF-8)::

    {"journal": 1, "lineage": "<base lineage>", "stack": "<stack>", "serial": <base serial>}
    {"serial": <base serial + 1>, "set": {"<address>": {<resource entry>}}, "remove": ["<address>"]}
    {"serial": <base serial + 2>, ...}

A line may carry other keys, which readers ignore (remote backends sign a record with ``"writer"``).

Invariants:

- A record is acknowledged (its append returns) only once it is durable; the executor calls the
  cloud only after the ``create_pending`` record is acknowledged, and starts dependents only after
  the ``ready`` one is. A record's serial is its base's plus its position, so the logical serial
  grows by one per record exactly as it does per full write.
- A torn last line (a crash mid-append: no final newline, or not JSON) was never acknowledged and
  is ignored: what its action did in the cloud is found as today, through the ``create_pending``
  record before it. Any other unreadable line is corruption and raises ``StateError``.
- A journal applies only to the base it names. One whose base serial is older than the state's
  was already compacted into it (a crash between the state write and the journal removal) and
  is ignored. One naming another lineage or stack, a newer serial, or a state that does not
  exist, is refused with ``StateError``: its records may be the only trace of cloud resources.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelinfra.errors import StateError
from modelinfra.state.model import ResourceState, State

JOURNAL_VERSION = 1

Changes = Mapping[str, ResourceState | None]  # address -> its new entry, or None: removed


@dataclass
class Record:
    """One durable step: the logical state at ``serial`` is the previous one with ``changes``."""

    serial: int
    changes: dict[str, ResourceState | None] = field(default_factory=dict)


@dataclass
class Journal:
    """A parsed journal: the base it applies to and its complete records (a torn tail dropped)."""

    lineage: str
    stack: str
    serial: int
    records: list[Record] = field(default_factory=list)
    torn: bool = False


def header_line(base: State) -> bytes:
    """The first line of a journal over ``base`` (as stored: its lineage, stack and serial)."""
    return _line({"journal": JOURNAL_VERSION, "lineage": base.lineage, "stack": base.stack, "serial": base.serial})


def record_line(serial: int, changes: Changes) -> bytes:
    """One record line: the logical state becomes ``serial`` by applying ``changes``."""
    document: dict[str, Any] = {"serial": serial}
    document["set"] = {a: e.to_json() for a, e in sorted(changes.items()) if e is not None}
    document["remove"] = sorted(a for a, e in changes.items() if e is None)
    return _line(document)


def signed(data: bytes, writer: str) -> bytes:
    """``data`` (whole lines) with its last line carrying ``"writer": writer``, which readers
    ignore: a remote backend tells its own retried append apart from another run's by it."""
    head, _, last = data.rstrip(b"\n").rpartition(b"\n")
    document = json.loads(last)
    document["writer"] = writer
    return (head + b"\n" if head else b"") + _line(document)


def apply_changes(state: State, changes: Changes) -> None:
    """Set or remove each changed entry of ``state`` in place."""
    for address, entry in changes.items():
        if entry is None:
            state.resources.pop(address, None)
        else:
            state.resources[address] = entry


def parse(data: bytes, where: str) -> Journal | None:
    """Parse a journal's bytes; None when not even its header is complete (nothing was ever
    acknowledged). A torn last line is dropped (``torn``); other damage raises ``StateError``."""
    lines = data.split(b"\n")
    tail = lines.pop()  # what follows the last newline: empty, or a torn append
    documents: list[Any] = []
    torn = bool(tail.strip())
    for number, raw in enumerate(lines, start=1):
        try:
            documents.append(json.loads(raw))
        except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
            if number == len(lines) and not torn:  # a last line whose bytes did not all reach the disk
                torn = True
                break
            raise StateError(f"{where} is corrupt at line {number} ({exc}); it holds actions of an apply that "
                             f"were not compacted into the state. Inspect it before removing it.") from None
    if not documents:
        return None
    journal = _header(documents[0], where)
    journal.torn = torn
    for number, document in enumerate(documents[1:], start=2):
        journal.records.append(_record(document, journal.serial + number - 1, f"{where} line {number}"))
    return journal


def replay(base: State | None, journal: Journal | None, where: str, base_where: str) -> tuple[State | None, int]:
    """``base`` (owned by the caller, changed in place) with ``journal`` applied, and how many
    records were applied. Raises ``StateError`` when the journal belongs to another base."""
    if journal is None:
        return base, 0
    if base is None:
        raise StateError(f"{where} holds {len(journal.records)} action(s) of stack {journal.stack!r} but "
                         f"{base_where} does not exist; restore the state file, or remove the journal if "
                         f"those actions are known to be gone")
    if (journal.lineage, journal.stack) != (base.lineage, base.stack) or journal.serial > base.serial:
        raise StateError(f"{where} belongs to another state (stack {journal.stack!r}, lineage {journal.lineage}, "
                         f"serial {journal.serial}) than {base_where} (stack {base.stack!r}, lineage "
                         f"{base.lineage}, serial {base.serial}); was the state file replaced? Restore the "
                         f"state it was written for, or remove the journal if its actions are known to be gone")
    if journal.serial < base.serial:  # compacted already; only its removal was lost
        return base, 0
    for record in journal.records:
        apply_changes(base, record.changes)
        base.serial = record.serial
    return base, len(journal.records)


def _header(document: Any, where: str) -> Journal:
    if not isinstance(document, dict) or "journal" not in document:
        raise StateError(f"{where} does not start with a journal header")
    if document["journal"] != JOURNAL_VERSION:
        raise StateError(f"{where} has journal version {document['journal']!r}; this modelinfra reads "
                         f"version {JOURNAL_VERSION}")
    lineage, stack, serial = document.get("lineage"), document.get("stack"), document.get("serial")
    if not isinstance(lineage, str) or not isinstance(stack, str) or type(serial) is not int:
        raise StateError(f"{where} has a malformed header")
    return Journal(lineage, stack, serial)


def _record(document: Any, serial: int, where: str) -> Record:
    if not isinstance(document, dict) or document.get("serial") != serial:
        found = document.get("serial") if isinstance(document, dict) else document
        raise StateError(f"{where} is not record {serial} (found {found!r})")
    entries, removed = document.get("set", {}), document.get("remove", [])
    if not isinstance(entries, dict) or not isinstance(removed, list) or not all(isinstance(a, str) for a in removed):
        raise StateError(f"{where} is a malformed record")
    changes: dict[str, ResourceState | None] = {a: ResourceState.from_json(a, e) for a, e in entries.items()}
    changes.update(dict.fromkeys(removed))
    return Record(serial, changes)


def _line(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, separators=(",", ":"), sort_keys=True, default=str) + "\n").encode()
