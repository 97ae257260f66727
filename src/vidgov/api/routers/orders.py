"""Work orders (运维工单): the board, one order's history, closing an order."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from vidgov.api.deps import ServicesDep, account_for
from vidgov.api.problems import PROBLEM_RESPONSES
from vidgov.api.routers.params import PagingDep, PlacesDep
from vidgov.api.schemas import CloseOrder, OrderDetail, OrderOut, OrderPage
from vidgov.services import records
from vidgov.services.records import OrderStatus
from vidgov.sharing.accounts import Account
from vidgov.sharing.policy import Action

router = APIRouter(prefix="/api", tags=["orders"], responses=PROBLEM_RESPONSES)

Reader = Annotated[Account, account_for(Action.ORDER_READ)]
OrderId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The work order's number")]


@router.get("/orders")
def list_orders(account: Reader, services: ServicesDep, places: PlacesDep, paging: PagingDep,
                status: OrderStatus | None = None,
                device_id: Annotated[str | None, Query(max_length=64)] = None) -> OrderPage:
    """Work orders in scope (a maintenance unit sees its own), newest first."""
    page = records.order_page(services.engine, account.scope, places, status, device_id,
                              paging.page, paging.page_size, services.view.frames())
    return OrderPage(items=[OrderOut(**i) for i in page.items], total=page.total,
                     page=page.page, page_size=page.page_size)


@router.get("/orders/{order_id}")
def get_order(order_id: OrderId, account: Reader, services: ServicesDep) -> OrderDetail:
    """One order with every step of its history."""
    return OrderDetail(**records.order_detail(services.engine, account.scope, order_id))


@router.post("/orders/{order_id}/close")
def close(order_id: OrderId, body: CloseOrder,
          account: Annotated[Account, account_for(Action.ORDER_CLOSE)],
          services: ServicesDep) -> OrderDetail:
    """Close an order by hand, saying what was done; the history records who."""
    detail = records.close_visible_order(services.engine, account.scope, order_id,
                                         body.reason, account.username)
    services.view.invalidate()
    return OrderDetail(**detail)
