"""Catalog findings and scorecards (数据校验), within the user's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vidgov.api.deps import ServicesDep, account_for
from vidgov.api.problems import PROBLEM_RESPONSES
from vidgov.api.routers.params import PagingDep, PlacesDep
from vidgov.api.schemas import FindingOut, FindingPage, ScorecardsOut
from vidgov.catalog.findings import FindingCode
from vidgov.catalog.scorecard import GroupBy
from vidgov.services import cockpit
from vidgov.sharing.accounts import Account
from vidgov.sharing.policy import Action

router = APIRouter(prefix="/api", tags=["audit"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Account, account_for(Action.FINDING_READ)]


@router.get("/findings")
def list_findings(account: Reader, services: ServicesDep, places: PlacesDep,
                  paging: PagingDep,
                  code: Annotated[FindingCode | None, Query()] = None) -> FindingPage:
    """Catalog findings with suggested repairs, worst codes first."""
    frame = cockpit.findings(services.view, account.scope, places,
                             code.value if code else None)
    start, end = paging.slice(frame.height)
    rows = frame.slice(start, end - start).to_dicts()
    return FindingPage(items=[FindingOut(**_text(r)) for r in rows], total=frame.height,
                       page=paging.page, page_size=paging.page_size)


@router.get("/scorecards")
def scorecards(account: Reader, services: ServicesDep, places: PlacesDep,
               by: GroupBy = GroupBy.CITY) -> ScorecardsOut:
    """Completeness, validity and score per city, county, department or unit."""
    return ScorecardsOut(by=by.value,
                         rows=cockpit.scorecards(services.view, account.scope, by, places))


def _text(row: dict[str, object]) -> dict[str, object]:
    return {k: (None if v is None else v if isinstance(v, str) else str(v))
            for k, v in row.items()}
