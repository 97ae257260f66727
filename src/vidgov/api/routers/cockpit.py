"""What the cockpit (驾驶舱) draws: KPIs, rates, trends, map points and regions, boundaries."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from vidgov.api.deps import ServicesDep, account_for
from vidgov.api.problems import PROBLEM_RESPONSES
from vidgov.api.routers.params import PlacesDep
from vidgov.api.schemas import KpisOut, MapPoints, RatesOut, RegionOut, RegionsOut, TrendOut
from vidgov.domain.divisions import Level
from vidgov.probing.rates import RateBy
from vidgov.services import cockpit
from vidgov.sharing.accounts import Account
from vidgov.sharing.policy import Action

router = APIRouter(prefix="/api", tags=["cockpit"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Account, account_for(Action.COCKPIT_READ)]


@router.get("/kpis")
def kpis(account: Reader, services: ServicesDep, places: PlacesDep) -> KpisOut:
    """Cameras, online and playable rates, open work orders, catalog score, in scope."""
    return KpisOut(**cockpit.kpis(services.view, account.scope, places))


@router.get("/rates")
def rates(account: Reader, services: ServicesDep, places: PlacesDep,
          by: RateBy = RateBy.CITY) -> RatesOut:
    """Online and playable rates per group, now."""
    rows = cockpit.rates(services.view, account.scope, by, places)
    return RatesOut(by=by.value, rows=rows)


@router.get("/rates/trend")
def rates_trend(account: Reader, services: ServicesDep, places: PlacesDep,
                days: Annotated[int, Query(ge=1, le=366)] = 30) -> TrendOut:
    """Online and playable rates per day over the last ``days`` days."""
    return TrendOut(rows=cockpit.trend(services.view, account.scope, places, days))


@router.get("/map/points", response_model=MapPoints)
def map_points(account: Reader, services: ServicesDep, places: PlacesDep) -> Response:
    """Every placed camera as [lon, lat, state]: compact, for 250,000 points."""
    return Response(cockpit.map_points(services.view, account.scope, places),
                    media_type="application/json")


@router.get("/map/regions")
def map_regions(account: Reader, services: ServicesDep, places: PlacesDep,
                level: Literal["city", "county"] = "city") -> RegionsOut:
    """Cameras and rates per city or county, placed inside each: the map at low zoom."""
    rows = cockpit.map_regions(services.view, services.boundaries, services.divisions,
                               account.scope, level, places)
    return RegionsOut(level=level, rows=[RegionOut(**r) for r in rows])


@router.get("/geo/boundaries", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}},
            dependencies=[account_for(Action.COCKPIT_READ)])
def boundaries(services: ServicesDep,
               level: Literal["region", "city", "county"] = "city") -> Response:
    """Guangxi's city or county boundaries (WGS-84 GeoJSON, simplified for drawing)."""
    body = cockpit.boundaries_geojson(services.boundaries, services.divisions, Level(level))
    return Response(body, media_type="application/geo+json",
                    headers={"Cache-Control": "private, max-age=3600"})
