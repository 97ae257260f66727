"""Analytics (智能分析): counts and events in scope, event pictures, subscriptions, webhooks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from vidgov.analytics.events import EventKind
from vidgov.analytics.models import DeliveryStatus
from vidgov.api.deps import ServicesDep, account_for
from vidgov.api.problems import PROBLEM_RESPONSES
from vidgov.api.routers.params import PagingDep, PlacesDep
from vidgov.api.schemas_analytics import (
    ClassName,
    CountsOut,
    DeliveryOut,
    EventOut,
    EventPage,
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionUpdate,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookUpdate,
)
from vidgov.errors import InvalidInput
from vidgov.services import analytics, events, subscriptions, webhooks
from vidgov.services.analytics import Bucket, CountQuery, CountsBy
from vidgov.services.events import EventQuery
from vidgov.sharing.accounts import Account
from vidgov.sharing.policy import Action

router = APIRouter(prefix="/api/analytics", tags=["analytics"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Account, account_for(Action.ANALYTICS_READ)]
Subscriber = Annotated[Account, account_for(Action.SUBSCRIPTION_MANAGE)]
HookKeeper = Annotated[Account, account_for(Action.WEBHOOK_MANAGE)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
Camera = Annotated[str | None, Query(min_length=1, max_length=64,
                                     description="One camera's device ID")]
Since = Annotated[datetime | None, Query(description="From (inclusive); ISO 8601, UTC if no "
                                                     "offset")]
Until = Annotated[datetime | None, Query(description="To (exclusive); ISO 8601, default now")]
DEFAULT_SPAN = timedelta(hours=24)


def _moment(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return analytics.utc(value)
    except OverflowError:
        raise InvalidInput(f"{name} {value.isoformat()} is out of range") from None


# --- counts and events ---------------------------------------------------------------


@router.get("/counts")
def counts(account: Reader, services: ServicesDep, places: PlacesDep,
           by: CountsBy = CountsBy.CITY, bucket: Bucket = Bucket.HOUR,
           since: Since = None, until: Until = None,
           classes: Annotated[list[ClassName] | None, Query(alias="class")] = None,
           kind: Literal["line", "zone"] | None = None, camera: Camera = None) -> CountsOut:
    """People and vehicles counted per camera, place type, city or county, per time bucket
    (default: the last 24 hours by hour), with totals; only cameras in scope."""
    end = _moment(until, "until") or datetime.now(UTC)
    try:
        start = _moment(since, "since") or end - DEFAULT_SPAN
    except OverflowError:
        raise InvalidInput(f"until {end.isoformat()} is out of range") from None
    query = CountQuery(by, start, end, bucket, places, tuple(classes or ()), kind, camera)
    with Session(services.engine) as session:
        answer = analytics.counts(session, services.divisions, account.scope, query)
    return CountsOut.model_validate(answer)


@router.get("/events")
def list_events(account: Reader, services: ServicesDep, places: PlacesDep, paging: PagingDep,
                kind: EventKind | None = None, since: Since = None, until: Until = None,
                camera: Camera = None) -> EventPage:
    """Crowds, congestion and stopped vehicles of cameras in scope, newest first; ``since``
    and ``until`` bound when an event began."""
    query = EventQuery(_moment(since, "since"), _moment(until, "until"), kind, camera, places)
    with Session(services.engine) as session:
        page = events.event_page(session, services.divisions, account.scope, query,
                                    paging.page, paging.page_size)
    return EventPage(items=[EventOut(**i) for i in page.items], total=page.total,
                     page=page.page, page_size=page.page_size)


@router.get("/events/{event_id}")
def get_event(event_id: Id, account: Reader, services: ServicesDep) -> EventOut:
    with Session(services.engine) as session:
        return EventOut(**events.event_detail(session, services.divisions, account.scope,
                                                 event_id))


@router.get("/events/{event_id}/snapshot", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}}}})
def event_snapshot(event_id: Id, account: Reader, services: ServicesDep) -> Response:
    """The event's evidence picture, faces and plates blurred before it was stored."""
    with Session(services.engine) as session:
        jpeg = events.event_snapshot(session, account.scope, event_id)
    return Response(jpeg, media_type="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})


# --- subscriptions -------------------------------------------------------------------


@router.get("/subscriptions")
def list_subscriptions(account: Reader, services: ServicesDep, camera: Camera = None,
                       enabled: bool | None = None) -> list[SubscriptionOut]:
    """What the cameras in scope are asked to watch."""
    with Session(services.engine) as session:
        rows = subscriptions.list_subscriptions(session, account.scope, camera, enabled)
    return [SubscriptionOut.model_validate(r) for r in rows]


@router.post("/subscriptions", status_code=201)
def create_subscription(body: SubscriptionCreate, account: Subscriber,
                        services: ServicesDep) -> SubscriptionOut:
    """Analyse a camera in scope: scenario, lines and zones in its picture's pixels, rate."""
    spec = subscriptions.spec_from_json(body.scenario, [v.model_dump() for v in body.lines],
                                    [v.model_dump() for v in body.zones],
                                    body.sample_rate_fps, body.thresholds, body.enabled)
    with Session(services.engine) as session, session.begin():
        made = subscriptions.create_subscription(session, account.scope, body.device_id, spec,
                                             account.username)
    return SubscriptionOut.model_validate(made)


@router.get("/subscriptions/{subscription_id}")
def get_subscription(subscription_id: Id, account: Reader,
                     services: ServicesDep) -> SubscriptionOut:
    with Session(services.engine) as session:
        return SubscriptionOut.model_validate(
            subscriptions.get_subscription(session, account.scope, subscription_id))


@router.patch("/subscriptions/{subscription_id}")
def update_subscription(subscription_id: Id, body: SubscriptionUpdate, account: Subscriber,
                        services: ServicesDep) -> SubscriptionOut:
    """Change some settings; the whole subscription is validated again."""
    with Session(services.engine) as session, session.begin():
        changed = subscriptions.update_subscription(session, account.scope, subscription_id,
                                                body.model_dump(exclude_none=True))
    return SubscriptionOut.model_validate(changed)


@router.delete("/subscriptions/{subscription_id}")
def disable_subscription(subscription_id: Id, account: Subscriber,
                         services: ServicesDep) -> SubscriptionOut:
    """Stop analysing the camera; the subscription stays, disabled, as the counts' origin."""
    with Session(services.engine) as session, session.begin():
        stopped = subscriptions.disable_subscription(session, account.scope, subscription_id)
    return SubscriptionOut.model_validate(stopped)


# --- webhooks ------------------------------------------------------------------------


@router.get("/webhooks")
def list_webhooks(account: HookKeeper, services: ServicesDep) -> list[WebhookOut]:
    """Webhooks whose scope lies inside the caller's (addresses without credentials)."""
    with Session(services.engine) as session:
        return [WebhookOut.model_validate(h) for h in webhooks.list_webhooks(session, account)]


@router.post("/webhooks", status_code=201)
def create_webhook(body: WebhookCreate, account: HookKeeper,
                   services: ServicesDep) -> WebhookCreated:
    """Send events of cameras in the caller's scope to an address; the answer holds the
    signing secret, which is never shown again."""
    with Session(services.engine) as session, session.begin():
        hook, secret = webhooks.create_webhook(session, account, body.name, body.url,
                                               [k.value for k in body.event_kinds])
    return WebhookCreated(**hook, secret=secret)


@router.get("/webhooks/{webhook_id}")
def get_webhook(webhook_id: Id, account: HookKeeper, services: ServicesDep) -> WebhookOut:
    with Session(services.engine) as session:
        return WebhookOut.model_validate(webhooks.get_webhook(session, account, webhook_id))


@router.patch("/webhooks/{webhook_id}")
def update_webhook(webhook_id: Id, body: WebhookUpdate, account: HookKeeper,
                   services: ServicesDep) -> WebhookOut:
    kinds = [k.value for k in body.event_kinds] if body.event_kinds is not None else None
    with Session(services.engine) as session, session.begin():
        hook = webhooks.update_webhook(session, account, webhook_id, body.name, body.url,
                                       kinds, body.enabled)
    return WebhookOut.model_validate(hook)


@router.delete("/webhooks/{webhook_id}", status_code=204, response_class=Response)
def delete_webhook(webhook_id: Id, account: HookKeeper, services: ServicesDep) -> Response:
    """Remove the webhook and its pending and past deliveries."""
    with Session(services.engine) as session, session.begin():
        webhooks.delete_webhook(session, account, webhook_id)
    return Response(status_code=204)


@router.get("/webhooks/{webhook_id}/deliveries")
def list_deliveries(webhook_id: Id, account: HookKeeper, services: ServicesDep,
                    status: DeliveryStatus | None = None,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[DeliveryOut]:
    """What was sent to the webhook, newest first: attempts, last answer, outcome."""
    with Session(services.engine) as session:
        rows = webhooks.list_deliveries(session, account, webhook_id, status, limit)
    return [DeliveryOut.model_validate(r) for r in rows]
