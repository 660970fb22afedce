"""HTTP skin over the ticket use cases: the seed's endpoints plus workflow, history, analytics."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from opscast.config import Settings
from opscast.dependencies import ModelStoreDep, ScoringDep, SessionDep, SettingsDep, over_limit
from opscast.tickets import analytics, service
from opscast.tickets.classifier import retrain_classifier
from opscast.tickets.priority import PriorityLevel
from opscast.tickets.repository import SORTABLE, TicketFilter
from opscast.tickets.schemas import (
    AnalyzeIn,
    AnalyzeOut,
    ClassifierOut,
    DailyCount,
    DeletedOut,
    RetrainOut,
    SummaryOut,
    TicketCreate,
    TicketEventOut,
    TicketOut,
    TicketSource,
    TicketUpdate,
)
from opscast.tickets.scoring import analyze as analyze_text
from opscast.tickets.workflow import TicketStatus
from opscast.value_ranges import SQL_ID_MAX, SQL_INT_MAX

router = APIRouter(prefix="/tickets", tags=["tickets"])
analytics_router = APIRouter(prefix="/analytics", tags=["tickets"])

SORT_PATTERN = "^-?(" + "|".join(SORTABLE) + ")$"
MAX_PAGE = 1000


TicketId = Annotated[int, Path(ge=1, le=SQL_ID_MAX, description="Ticket number")]


def _description_within(description: str | None, settings: Settings) -> None:
    if description is not None and len(description) > settings.ticket_description_max_chars:
        raise over_limit(
            "description",
            f"the description has {len(description)} characters, more than "
            f"{settings.ticket_description_max_chars}; attach long logs elsewhere or raise "
            "OPSCAST_TICKET_DESCRIPTION_MAX_CHARS",
        )


@router.post("/", response_model=TicketOut, status_code=201, summary="Open a ticket")
def create_ticket(
    body: TicketCreate, session: SessionDep, scoring: ScoringDep, settings: SettingsDep
) -> TicketOut:
    """Classified and prioritised on arrival; a given ``classification`` is kept as a correction."""
    _description_within(body.description, settings)
    return TicketOut.model_validate(service.create_ticket(session, body, scoring))


@router.get("/", response_model=list[TicketOut], summary="List tickets (filtered, sorted, paged)")
def list_tickets(
    response: Response,
    session: SessionDep,
    status: TicketStatus | None = None,
    priority: PriorityLevel | None = None,
    classification: str | None = None,
    source: TicketSource | None = None,
    assignee: str | None = None,
    server_id: Annotated[int | None, Query(ge=1, le=SQL_ID_MAX)] = None,
    sort: Annotated[
        str, Query(pattern=SORT_PATTERN, description="Field to sort by; prefix - for descending")
    ] = "id",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=SQL_INT_MAX)] = 0,
) -> list[TicketOut]:
    """A JSON list as in the seed; the total that matches is in the ``X-Total-Count`` header."""
    where = TicketFilter(
        status=status.value if status else None,
        priority=priority,
        classification=classification,
        source=source.value if source else None,
        assignee=assignee,
        server_id=server_id,
    )
    tickets, total = service.list_tickets(session, where, sort=sort, limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Limit"] = str(limit)
    response.headers["X-Offset"] = str(offset)
    return [TicketOut.model_validate(ticket) for ticket in tickets]


@router.post("/analyze", response_model=AnalyzeOut, summary="Classify and score a text")
def analyze(
    body: AnalyzeIn, session: SessionDep, scoring: ScoringDep, settings: SettingsDep
) -> AnalyzeOut:
    """Nothing is stored; the answer says whether the model or the keyword rules decided."""
    _description_within(body.description, settings)
    return analyze_text(
        session,
        body.description,
        scoring,
        title=body.title,
        impact=body.impact,
        urgency=body.urgency,
    )


@router.get("/classifier", response_model=ClassifierOut, summary="The serving classifier")
def classifier(session: SessionDep, scoring: ScoringDep) -> ClassifierOut:
    """The champion of the ``tickets-classifier`` task; its versions are at ``GET /models``."""
    return ClassifierOut.of(scoring.serving(session).info, scoring.threshold)


@router.post(
    "/classifier/retrain",
    response_model=RetrainOut,
    summary="Retrain the classifier on the sample and the corrected tickets (guarded)",
)
def retrain(session: SessionDep, store: ModelStoreDep) -> RetrainOut:
    """Registers a new version; it serves only if not worse than the champion on the holdout."""
    return retrain_classifier(session, store)


@router.get("/{ticket_id}", response_model=TicketOut, summary="One ticket")
def get_ticket(ticket_id: TicketId, session: SessionDep) -> TicketOut:
    return TicketOut.model_validate(service.get_ticket(session, ticket_id))


@router.put("/{ticket_id}", response_model=TicketOut, summary="Change a ticket (partial)")
def update_ticket(
    ticket_id: TicketId,
    body: TicketUpdate,
    session: SessionDep,
    scoring: ScoringDep,
    settings: SettingsDep,
) -> TicketOut:
    """New text re-scores priority and classification; a refused status move is a 409."""
    _description_within(body.description, settings)
    return TicketOut.model_validate(service.update_ticket(session, ticket_id, body, scoring))


@router.delete("/{ticket_id}", response_model=DeletedOut, summary="Delete a ticket")
def delete_ticket(ticket_id: TicketId, session: SessionDep) -> DeletedOut:
    service.delete_ticket(session, ticket_id)
    return DeletedOut(message=f"Ticket {ticket_id} deleted successfully")


@router.get(
    "/{ticket_id}/history", response_model=list[TicketEventOut], summary="Audit trail, oldest first"
)
def history(ticket_id: TicketId, session: SessionDep) -> list[TicketEventOut]:
    return [TicketEventOut.model_validate(e) for e in service.ticket_history(session, ticket_id)]


@analytics_router.get("/summary", response_model=SummaryOut, summary="Ticket counts and backlog")
def summary(session: SessionDep) -> SummaryOut:
    return analytics.summary(session)


@analytics_router.get(
    "/incidents/daily",
    response_model=list[DailyCount],
    summary="Tickets opened per day and classification (long format)",
)
def incidents_daily(
    session: SessionDep,
    start: date | None = None,
    end: date | None = None,
    classification: str | None = None,
) -> list[DailyCount]:
    return analytics.daily_counts(session, start=start, end=end, classification=classification)
