"""Operations views: the sweeps that ran, the accounts that exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from sqlalchemy.orm import Session

from vidgov.api.deps import ServicesDep, account_for
from vidgov.api.problems import PROBLEM_RESPONSES
from vidgov.api.routers.params import PagingDep
from vidgov.api.schemas import SweepOut, SweepPage, UserOut, UserPage
from vidgov.services import records
from vidgov.sharing.accounts import Account, list_users
from vidgov.sharing.policy import Action

router = APIRouter(prefix="/api", tags=["operations"], responses=PROBLEM_RESPONSES)


@router.get("/sweeps")
def sweeps(_: Annotated[Account, account_for(Action.SWEEP_READ)], services: ServicesDep,
           paging: PagingDep) -> SweepPage:
    """Sweeps run, newest first, with how many cameras each probed."""
    page = records.sweep_page(services.engine, paging.page, paging.page_size)
    return SweepPage(items=[SweepOut(**i) for i in page.items], total=page.total,
                     page=page.page, page_size=page.page_size)


@router.get("/users")
def users(account: Annotated[Account, account_for(Action.USER_READ)], services: ServicesDep,
          paging: PagingDep) -> UserPage:
    """The accounts inside the caller's scope (never their password hashes)."""
    with Session(services.engine) as session:
        everyone = [u for u in list_users(session) if account.scope.covers(u.scopes)]
    start, end = paging.slice(len(everyone))
    items = [UserOut(username=u.username, role=u.role, scopes=list(u.scopes),
                     department=u.department, maintenance_unit=u.maintenance_unit,
                     disabled=u.disabled) for u in everyone[start:end]]
    return UserPage(items=items, total=len(everyone), page=paging.page,
                    page_size=paging.page_size)
