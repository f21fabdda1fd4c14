"""``moved``, ``removed`` and ``import`` blocks: checked offline against the spec's addresses.

- ``moved: [{from, to}]`` (in the spec, or in a ``module.yaml`` in the module's own addresses, for
  every copy of it): ``to`` names something the spec declares (an address, a ``for_each``
  resource or a module, whose instances move with the same keys); ``from`` names nothing the spec
  still declares. Two blocks may not move the same ``from``.
- ``removed: [{from}]``: ``from`` names nothing the spec declares.
- ``import: [{to, id}]``: ``to`` is one declared instance; ``id`` is of the form its type's
  ``import`` takes (the handler's pure ``parse_cloud_id``).
Whether ``from`` is in state is a plan-time question: a block whose work is done is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from modelinfra.errors import Problem
from modelinfra.plans.address import covers
from modelinfra.spec.loader import Document
from modelinfra.spec.model import SpecDocument
from modelinfra.spec.spec import Resource, StateBlock
from modelinfra.spec.suggest import did_you_mean

_ADDRESS_CHARS = set('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."[]')


def state_blocks(doc: Document, model: SpecDocument, resources: Mapping[str, Resource],
                 handler_of: Callable[[str], Any], problems: list[Problem]
                 ) -> tuple[list[StateBlock], list[StateBlock], list[StateBlock]]:
    """(moved, removed, imports), problems appended for every block that names a wrong address."""

    def declared(selector: str) -> bool:
        return any(covers(selector, a) for a in resources)

    moved = moved_blocks(doc, model.moved, resources, problems)
    removed: list[StateBlock] = []
    for index, block in enumerate(model.removed):
        where = ("removed", index)
        if declared(block.from_):
            problems.append(doc.problem((*where, "from"), f"removed {block.from_!r}, which the spec still declares: "
                                        "remove its declaration, or this block"))
        else:
            removed.append(StateBlock("removed", block.from_, None, where))
    imports: list[StateBlock] = []
    targets: set[str] = set()
    for index, block in enumerate(model.import_):
        where = ("import", index)
        resource = resources.get(block.to)
        if resource is None:
            hint = did_you_mean(block.to, resources)
            problems.append(doc.problem((*where, "to"), f"import to {block.to!r}, which is not a resource instance "
                                        "the spec declares" + hint))
            continue
        if block.to in targets:
            problems.append(doc.problem((*where, "to"), f"{block.to!r} is imported by two blocks"))
            continue
        targets.add(block.to)
        handler = handler_of(resource.type)
        if handler is not None:
            try:
                cloud_id = handler.parse_cloud_id(block.id)
            except ValueError as exc:
                problems.append(doc.problem((*where, "id"), str(exc)))
                continue
        else:
            cloud_id = block.id
        imports.append(StateBlock("import", cloud_id, block.to, where))
    return moved, removed, imports


def _bad_syntax(address: str) -> bool:
    return not address or not address[0].isalpha() or any(c not in _ADDRESS_CHARS for c in address.split('["')[0])


def moved_blocks(doc: Document, blocks: list[Any], resources: Mapping[str, Resource], problems: list[Problem],
                 prefix: str = "") -> list[StateBlock]:
    """The ``moved`` blocks of the spec, or (``prefix`` ``module.M.``) of one copy of a module, whose
    ``from``/``to`` are in the module's own addresses; problems at the block in ``doc``."""
    root = not prefix

    def declared(selector: str) -> bool:
        return any(covers(selector, a) for a in resources)

    moved: list[StateBlock] = []
    sources: set[str] = set()
    for index, block in enumerate(blocks):
        where = ("moved", index)
        if _bad_syntax(block.from_) or _bad_syntax(block.to):
            problems.append(doc.problem(where, f"moved from {block.from_!r} to {block.to!r}: not resource addresses"))
            continue
        source, target = prefix + block.from_, prefix + block.to
        if source == target:
            problems.append(doc.problem((*where, "to"), f"moved from {source!r} to itself"))
        elif not declared(target):
            problems.append(doc.problem((*where, "to"), f"moved to {target!r}, which the spec does not declare"
                                        + did_you_mean(target, resources)))
        elif declared(source):
            problems.append(doc.problem((*where, "from"), f"moved from {source!r}, which the spec still declares; "
                                        "a moved block's `from` is the old address"))
        elif source in sources:
            problems.append(doc.problem((*where, "from"), f"{source!r} is moved by two blocks"))
        else:
            sources.add(source)
            moved.append(StateBlock("moved", source, target, where, None if root else doc))
    return moved
