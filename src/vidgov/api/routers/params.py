"""Query parameters several routers share: place filters and pagination.

Both are ``async``: pure and quick, they run on the event loop instead of costing each
request two more trips through the thread pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from vidgov.api.deps import ServicesDep
from vidgov.services.filters import PlaceFilter, place_filter

MAX_PAGE_SIZE = 500


async def places(
    services: ServicesDep,
    city: Annotated[str | None, Query(max_length=40, description="City name or code")] = None,
    county: Annotated[str | None, Query(max_length=40,
                                        description="County name or code")] = None,
    admin_code: Annotated[str | None, Query(max_length=12, pattern=r"^\d{2,12}$",
                                            description="Covers the codes under it")] = None,
    department: Annotated[str | None, Query(max_length=100)] = None,
    maintenance_unit: Annotated[str | None, Query(max_length=100)] = None,
) -> PlaceFilter:
    return place_filter(services.divisions, city, county, admin_code, department,
                        maintenance_unit)


PlacesDep = Annotated[PlaceFilter, Depends(places)]


@dataclass(frozen=True)
class Paging:
    page: int
    page_size: int

    def slice(self, total: int) -> tuple[int, int]:
        start = (self.page - 1) * self.page_size
        return min(start, total), min(start + self.page_size, total)


async def paging(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> Paging:
    return Paging(page, page_size)


PagingDep = Annotated[Paging, Depends(paging)]
