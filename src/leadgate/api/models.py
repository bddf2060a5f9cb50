"""The read and work routes' bodies as pydantic models: what ``/openapi.json`` documents.

Each response model mirrors the ``as_dict()`` of the :class:`~leadgate.project.Project`
result the route returns, field for field (a route returns that dict and FastAPI checks
it against the model). Times are ISO 8601 text in UTC, as ``as_dict()`` writes them (the
store keeps naive UTC, so they carry no offset). Request bodies forbid unknown fields: a
misspelt ``reasn`` is a 422, never silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Time = Annotated[str, Field(description="UTC, ISO 8601 (e.g. 2026-03-02T09:00:00)")]


class Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


# -- errors ------------------------------------------------------------------------------------
class ErrorDetail(Model):
    code: str = Field(description="A stable leadgate code, e.g. LG402")
    message: str
    details: Any = None


class ErrorOut(Model):
    """Every error the API returns has this one shape."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in {
        400: "Bad input (the message says which and what to do)",
        401: "No API key, or not a valid one",
        403: "The key's role may not do this",
        404: "No such thing (lead, version, message)",
        409: "An illegal stage move (details name the legal next stages)",
        413: "The body is larger than [api] max_body_bytes",
        422: "The request does not fit the schema (every problem in details)",
        500: "Unexpected server error",
    }.items()
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The documented error responses of a route: always 401, 403, 422 and 500."""
    return {s: ERRORS[s] for s in sorted({401, 403, 422, 500, *statuses})}


# -- ingest ------------------------------------------------------------------------------------
class IngestedLeadOut(Model):
    lead_id: str
    total: float
    tier: str | None
    disqualified: bool
    as_of: str = Field(description="UTC, ISO 8601 with a Z")
    stage: Literal["mql"] | None = Field(description="'mql' when this request made it enter")
    owner: str | None = Field(description="The rep routing gave a lead that entered MQL")
    routing: str | None = Field(description="Why that rep, or why nobody (unrouted)")


class EventsOut(Model):
    """What ``POST /v1/events`` stored and what the leads it touched score now."""

    received: int
    stored: int
    duplicates: int = Field(description="Events already stored (same event id): kept once")
    leads_scored: int
    entered_mql: list[str]
    leads: list[IngestedLeadOut] = Field(description="At most 100; leads_scored counts all")


class DateNoteOut(Model):
    """A date field whose day/month dates were read in an order their values did not show."""

    field: str
    order: str  # mdy | dmy
    read_as: str  # "month first" | "day first"
    why: str
    example: str | None
    note: str


class LeadsOut(Model):
    """What ``POST /v1/leads`` upserted; ``notes``: the dates read by a day/month order."""

    received: int
    changed: int
    unchanged: int
    columns_added: list[str]
    notes: list[DateNoteOut]


# -- a lead ------------------------------------------------------------------------------------
class ContributionOut(Model):
    key: str
    group: str
    label: str
    points: float
    status: str
    detail: str


class JudgementOut(Model):
    group: str
    name: str
    status: str
    detail: str


class ScoreOut(Model):
    lead_id: str | None
    definition_hash: str
    as_of: Time
    fit: float
    engagement: float
    total: float
    grade: str | None
    band: int | None
    tier: str | None
    disqualified: bool
    disqualification: str | None
    sla_due: Time | None
    route: str | None
    sales: bool
    contributions: list[ContributionOut]
    warnings: list[str]
    conditions: list[JudgementOut]
    adds_up: bool = Field(description="The contributions add up to the total exactly")


class TransitionOut(Model):
    seq: int
    lead_id: str
    from_stage: str
    to_stage: str
    moved_at: Time
    actor: str
    reason: str | None
    definition_hash: str | None
    score: float | None
    tier: str | None
    amount: float | None


class HistoryOut(Model):
    lead_id: str
    stage: str
    mql_at: Time | None
    first_touch_at: Time | None
    legal_next: list[str]
    transitions: list[TransitionOut]


class OwnerOut(Model):
    rep: str | None
    rule: str | None
    reason: str | None
    assigned_at: Time | None


class SlaOut(Model):
    mql_at: Time | None
    tier: str | None = Field(description="The tier the lead entered MQL in")
    due: Time | None
    first_touch_at: Time | None
    state: Literal["none", "open", "breached", "met", "missed"]


class LeadOut(Model):
    lead_id: str
    attributes: dict[str, Any]
    account: dict[str, Any] | None
    stage: str
    score: ScoreOut | None
    owner: OwnerOut
    sla: SlaOut
    history: HistoryOut
    warnings: list[str]


# -- the queue ---------------------------------------------------------------------------------
class ReasonOut(Model):
    label: str
    points: float
    detail: str


class QueueRowOut(Model):
    lead_id: str
    email: str | None
    company: str | None
    source: str | None
    stage: str
    tier: str | None
    score: float | None
    mql_at: Time | None
    sla_due: Time | None
    sla_state: Literal["none", "open", "breached", "met", "missed"]
    first_touch_at: Time | None
    owner: str | None
    reasons: list[ReasonOut]


class QueueFilterOut(Model):
    tier: str | None
    owner: str | None
    stage: str | None
    source: str | None
    since: Time | None
    until: Time | None
    q: str | None


class QueueOut(Model):
    at: Time
    filters: QueueFilterOut
    limit: int
    count: int
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page")
    leads: list[QueueRowOut]


# -- sales actions -----------------------------------------------------------------------------
class ActionIn(BaseModel):
    """A sales action on a lead."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["accept", "reject", "contacted", "sql", "opportunity", "won", "lost"]
    reason: Annotated[str, Field(max_length=500)] | None = Field(
        None, description="reject: one of [handoff] reject_reasons; lost: why"
    )
    amount: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = Field(
        None, description="won or opportunity: the deal's amount"
    )
    stage: Literal["recycled", "disqualified"] | None = Field(
        None, description="reject only: recycle (the default) or disqualify"
    )


class ActionOut(Model):
    action: str
    actor: str
    transition: TransitionOut | None
    history: HistoryOut


# -- definitions -------------------------------------------------------------------------------
class VersionOut(Model):
    hash: str
    name: str
    version: str
    created_at: Time | None
    stored: bool
    active: bool
    activated_by: str | None
    activated_at: Time | None


class ActivationOut(Model):
    seq: int
    definition_hash: str
    previous_hash: str | None
    actor: str
    activated_at: Time


class ProblemOut(Model):
    message: str
    path: str
    line: int | None
    column: int | None
    code: str
    hint: str
    severity: str


class DefinitionListOut(Model):
    file: str
    active_hash: str | None
    problems: list[ProblemOut]
    count: int
    versions: list[VersionOut]
    activations: list[ActivationOut]


class ValidationOut(Model):
    file: str
    valid: bool
    hash: str | None
    problems: list[ProblemOut]


class DefinitionOut(VersionOut):
    source: str
    validation: ValidationOut


class DefinitionIn(BaseModel):
    """A new definition version: its YAML text."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(max_length=1_000_000, description="The definition's YAML")


# -- the outbox --------------------------------------------------------------------------------
class MessageOut(Model):
    message_id: str
    event_type: str
    lead_id: str | None
    body: str = Field(description="The JSON every delivery posts, byte for byte")
    state: Literal["pending", "failed", "delivered", "dead"]
    attempts: int
    round: int
    created_at: Time
    next_attempt_at: Time | None
    delivered_at: Time | None
    last_error: str | None


class DeliveryOut(Model):
    round: int
    endpoint: str
    attempt: int
    attempted_at: Time
    status_code: int | None
    error: str | None
    next_attempt_at: Time | None


class MessageDetailOut(MessageOut):
    deliveries: list[DeliveryOut]


class OutboxOut(Model):
    state: str | None
    counts: dict[str, int]
    count: int
    messages: list[MessageOut]


# -- erasure ----------------------------------------------------------------------------------
class ErasureIn(BaseModel):
    """Whom to forget: the person's email (every lead with it, any case)."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320, description="e.g. ana@acme.com")


class ErasureOut(Model):
    """That an erasure happened, when, by whom and how much: it names no one."""

    erasure_id: str
    erased_at: Time
    actor: str
    leads: int
    rows_removed: dict[str, int]
    rows_pseudonymised: dict[str, int]
    messages_deleted: int
    messages_rewritten: int
    rows_redacted: dict[str, int] = Field(
        description="Rows of other leads (and kept tables) that named the person, by table: "
        "kept, each mention replaced by [erased]."
    )


# -- reps and routing --------------------------------------------------------------------------
class RepOut(Model):
    name: str
    email: str
    teams: list[str]
    weight: float
    timezone: str
    working_hours: str
    days: list[str]
    out_of_office: list[str]
    max_open: int | None
    max_per_day: int | None
    available: bool
    unavailable: str | None
    open: int


class RepsOut(Model):
    at: Time
    reps: list[RepOut]


class RuleOut(Model):
    name: str
    when: str | None
    to: str


class RouteOut(Model):
    lead_id: str
    routed: bool
    rep: str | None
    rule: str | None
    reason: str
    at: Time
    values: dict[str, Any]
    rules: list[RuleOut]
