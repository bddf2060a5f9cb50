"""The JSON Schema of each webhook event type's body, published with the package.

Every outbox message's body is the Standard Webhooks envelope ``{"type", "timestamp",
"data"}`` (:mod:`.outbox`); each event type's schema, one file per type in
``leadgate/handoff/schemas/TYPE.json`` (JSON Schema 2020-12), says what its ``data`` holds.
A receiver validates against them; ``leadgate schemas [TYPE]`` prints them. A new event
type (``sla.breached``, ``lead.recycled``...) is published by adding its file there: the
list is the folder's.

A delivered message whose person was later forgotten (:mod:`.erasure`) has the data
``{"erased": true}``; every schema allows it.

>>> "lead.mql" in event_types()
True
>>> schema("lead.mql")["properties"]["type"]
{'const': 'lead.mql'}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LeadgateError
from ..vocabulary import suggest

SCHEMA_DIR = Path(__file__).with_name("schemas")


class UnknownEventType(LeadgateError, LookupError):
    """No published schema for that event type; the message names the known ones."""

    code = "LG682"


def event_types() -> list[str]:
    """The event types with a published schema, sorted."""
    return sorted(p.name.removesuffix(".json") for p in SCHEMA_DIR.glob("*.json"))


def schema_path(event_type: str) -> Path:
    """The file of ``event_type``'s schema, or :class:`UnknownEventType`."""
    known = event_types()
    if event_type not in known:
        near = suggest(event_type, known)
        hint = f"did you mean {near!r}? " if near else ""
        raise UnknownEventType(
            f"No schema for the event type {event_type!r} ({hint}known: {', '.join(known)})."
        )
    return SCHEMA_DIR / f"{event_type}.json"


def schema(event_type: str) -> dict[str, Any]:
    """``event_type``'s JSON Schema, as a dict."""
    loaded: dict[str, Any] = json.loads(schema_path(event_type).read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class EventSchemas:
    """The schemas :meth:`Project.schemas` returns: every type's, or the one asked for."""

    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.schemas)


def event_schemas(event_type: str | None = None) -> EventSchemas:
    """Every published schema, or only ``event_type``'s."""
    wanted = [event_type] if event_type is not None else event_types()
    return EventSchemas({name: schema(name) for name in wanted})


__all__ = [
    "SCHEMA_DIR",
    "EventSchemas",
    "UnknownEventType",
    "event_schemas",
    "event_types",
    "schema",
    "schema_path",
]
