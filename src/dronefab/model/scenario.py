"""The validated scenario: one object holding every table, with the calendar computed from it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from functools import cached_property
from typing import Any, Self

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from dronefab.model import timeline
from dronefab.model.schema import (
    FORMAT_VERSION,
    BomLine,
    Customer,
    Demand,
    Horizon,
    InTransit,
    Item,
    Lane,
    OnOrder,
    Organization,
    RequiredTest,
    Risks,
    RoutingStep,
    Site,
    Supplier,
)
from dronefab.model.timeline import FloatArray


class Scenario(BaseModel):
    """A production network that passed validation.

    Build one with :func:`dronefab.load_scenario`; constructing it directly skips the checks
    on references, cycles and dates.
    """

    model_config = ConfigDict(extra="forbid", ignored_types=(cached_property,))

    format: str = FORMAT_VERSION
    name: str
    horizon: Horizon
    organizations: list[Organization] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    bom: list[BomLine] = Field(default_factory=list)
    routings: list[RoutingStep] = Field(default_factory=list)
    sites: list[Site] = Field(default_factory=list)
    suppliers: list[Supplier] = Field(default_factory=list)
    on_order: list[OnOrder] = Field(default_factory=list)
    in_transit: list[InTransit] = Field(default_factory=list)
    required_tests: list[RequiredTest] = Field(default_factory=list)
    customers: list[Customer] = Field(default_factory=list)
    lanes: list[Lane] = Field(default_factory=list)
    demand: list[Demand] = Field(default_factory=list)
    risks: Risks = Field(default_factory=Risks)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with ``update`` applied, whose lookups (``item_by_id`` ...) are recomputed.

        pydantic copies the instance's ``__dict__``, where the cached lookups live; kept, they
        would still describe the old items and sites.
        """
        copy = super().model_copy(update=update, deep=deep)
        for name, value in vars(Scenario).items():
            if isinstance(value, cached_property):
                copy.__dict__.pop(name, None)
        return copy

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of the scenario's content: the same for every file layout (YAML, CSV,
        workbook) of the same network, different as soon as one value differs."""
        content = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(content.encode()).hexdigest()

    # -- lookups -----------------------------------------------------------------------------
    @cached_property
    def item_by_id(self) -> dict[str, Item]:
        """Items keyed by id."""
        return {item.id: item for item in self.items}

    @cached_property
    def site_by_id(self) -> dict[str, Site]:
        """Sites keyed by id."""
        return {site.id: site for site in self.sites}

    @cached_property
    def supplier_by_id(self) -> dict[str, Supplier]:
        """Suppliers keyed by id."""
        return {supplier.id: supplier for supplier in self.suppliers}

    @cached_property
    def customer_by_id(self) -> dict[str, Customer]:
        """Customers keyed by id."""
        return {customer.id: customer for customer in self.customers}

    # -- calendar ----------------------------------------------------------------------------
    @property
    def periods(self) -> range:
        """The 1-based periods of the horizon."""
        return range(1, self.horizon.periods + 1)

    @property
    def end(self) -> date:
        """First day after the horizon."""
        return timeline.horizon_end(self.horizon)

    def period_of(self, day: date) -> int:
        """The 1-based period containing ``day`` (may lie outside the horizon)."""
        return timeline.period_of(self.horizon, day)

    def lead_time_periods(self, days: float) -> int:
        """``ceil(days / period_days)``: periods a duration in days takes."""
        return timeline.lead_time_periods(days, self.horizon.period_days)

    def available_hours(self, site_id: str, work_center_id: str) -> FloatArray:
        """Available hours of a work center at a site, one value per period.

        Raises
        ------
        KeyError
            If the site or the work center does not exist.
        """
        site = self.site_by_id[site_id]
        for work_center in site.work_centers:
            if work_center.id == work_center_id:
                return timeline.available_hours(site, work_center, self.horizon)
        message = f"site {site_id!r} has no work center {work_center_id!r}"
        raise KeyError(message)

    def demand_by_period(self) -> dict[tuple[str, str], FloatArray]:
        """Demand per (customer, product) as an array over periods (index 0 is period 1)."""
        out: dict[tuple[str, str], FloatArray] = {}
        for row in self.demand:
            key = (row.customer, row.item)
            if key not in out:
                out[key] = np.zeros(self.horizon.periods)
            out[key][self.period_of(row.due) - 1] += row.quantity
        return out
