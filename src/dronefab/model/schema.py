"""The rows of every scenario table, as pydantic models.

One model per row kind; each field carries its description, unit and readable title, so that the
validation, the JSON Schema, the Excel headers and the format documentation all come from here.
Nested lists (a site's work centers, makes and initial inventory; a supplier's supplies) have a
"row" twin with the parent's id, used when they are given as top-level tables.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

FORMAT_VERSION = "dronefab/1"

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _no_bool(kind: str) -> Any:
    """A validator refusing true/false where a number is expected (YAML reads 'yes' as true)."""

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            message = f"must be {kind}, got {'true' if value else 'false'}"
            raise ValueError(message)
        return value

    return BeforeValidator(check)


Number = Annotated[float, _no_bool("a number")]
Whole = Annotated[int, _no_bool("a whole number")]
NonNegative = Annotated[Number, Field(ge=0)]
Positive = Annotated[Number, Field(gt=0)]
Fraction = Annotated[Number, Field(ge=0, le=1)]

ItemKind = Literal["product", "assembly", "purchased"]
Tracking = Literal["serial", "lot", "none"]
OrganizationRole = Literal[
    "programme", "manufacturer", "design-authority", "operator", "customer", "supplier", "funder"
]


class Row(BaseModel):
    """Base of every table row: unknown keys are errors, numbers must be finite."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        coerce_numbers_to_str=True,
        populate_by_name=True,
        validate_default=False,
    )


def field(
    description: str,
    default: Any = ...,
    *,
    title: str | None = None,
    unit: str | None = None,
    alias: str | None = None,
    **constraints: Any,
) -> Any:
    """A pydantic Field with the documentation attributes this package relies on."""
    extra: dict[str, Any] = {}
    if unit is not None:
        extra["unit"] = unit
    return Field(
        default,
        description=description,
        title=title,
        alias=alias,
        json_schema_extra=extra or None,
        **constraints,
    )


class Horizon(Row):
    """The planning calendar: ``periods`` periods of ``period_days`` days from ``start``."""

    start: date = field("First day of period 1.")
    periods: Whole = field("Number of periods in the horizon.", ge=1, le=10_000)
    period_days: Whole = field("Length of a period in days (7 for weekly).", 7, ge=1, le=366)

    @model_validator(mode="after")
    def _ends_before_year_10000(self) -> Horizon:
        days = self.periods * self.period_days
        if (date.max - self.start).days < days:
            message = (
                f"{self.periods} periods of {self.period_days} days from {self.start} run past the "
                "year 9999; shorten the horizon"
            )
            raise ValueError(message)
        return self


class Organization(Row):
    """A party of the programme: ministry, automaker, design authority, customers..."""

    id: Id = field("Unique identifier.")
    name: str = field("Display name.")
    role: OrganizationRole = field("What the organization does in the programme.")


class Item(Row):
    """Something built, used or bought."""

    id: Id = field("Unique identifier (part number).")
    name: str = field("Display name.")
    kind: ItemKind = field(
        "product (delivered to customers), assembly (made, used inside) or purchased (bought)."
    )
    holding_cost: NonNegative = field(
        "Cost of holding one unit for one period.", 0.0, title="Holding cost (per unit-period)"
    )
    yield_rate: Number = field(
        "Share of units started that come out good.", 1.0, title="Yield rate", gt=0, le=1
    )
    tracking: Tracking | None = field(
        "How the record identifies units: serial (each unit its own id), lot (units carry a lot "
        "id) or none; empty: serial for a product, lot otherwise (EXECUTION.md).",
        None,
    )

    @property
    def tracked_by(self) -> Tracking:
        """``tracking``, or its default for the item's kind."""
        if self.tracking is not None:
            return self.tracking
        return "serial" if self.kind == "product" else "lot"


class BomLine(Row):
    """Components used per unit of a made item started."""

    parent: Id = field("The made item (product or assembly).")
    component: Id = field("The item consumed.")
    quantity: Positive = field("Units of component per unit of parent started.")


class RoutingStep(Row):
    """Work-center time per unit of a made item started."""

    item: Id = field("The made item.")
    step: Whole = field("Step number, unique per item.", ge=0)
    work_center: Id = field("Work center id (as named at the sites).", title="Work center")
    minutes: NonNegative = field("Minutes of that work center per unit started.", unit="min")


class WorkCenter(Row):
    """A group of identical stations at a site."""

    id: Id = field("Work center id, unique within its site; routings refer to it.")
    stations: Positive = field("Number of identical stations (a fraction for a shared one).")
    hours_per_day: Number = field(
        "Working hours per station per working day.", title="Hours per day", gt=0, le=24, unit="h"
    )
    efficiency: Number = field("Share of working hours that produce (OEE-like).", 1.0, gt=0, le=2)


class WorkCenterRow(WorkCenter):
    """A work center given in the top-level ``work_centers`` table."""

    site: Id = field("The site this work center belongs to.")


class SiteBase(Row):
    """A production site's own columns (its nested lists excluded)."""

    id: Id = field("Unique identifier.")
    name: str = field("Display name.")
    operator: Id = field("Organization that runs the site.")
    distance_to_front_km: NonNegative = field(
        "Distance to the front line.", title="Distance to front (km)", unit="km"
    )
    opens: date | None = field("First day the site works; empty: before the horizon.", None)
    closes: date | None = field("First day the site no longer works; empty: never.", None)
    days_per_week: Number = field("Working days per week.", 6.0, title="Days per week", gt=0, le=7)
    labour_cost_per_hour: NonNegative = field(
        "Labour cost of a work-center hour.", 0.0, title="Labour cost per hour"
    )
    downtime_hours_per_day: Number = field(
        "Planned downtime per working day (alerts, maintenance).",
        0.0,
        title="Downtime hours per day",
        ge=0,
        le=24,
        unit="h",
    )
    ramp_periods: Whole = field(
        "Periods after opening until full efficiency.", 0, title="Ramp periods", ge=0
    )
    ramp_start_efficiency: Fraction = field(
        "Efficiency in the opening period.", 1.0, title="Ramp start efficiency"
    )
    candidate: bool = field(
        "Network design may open or leave closed (the planner treats it as open).", False
    )
    fixed_cost_per_period: NonNegative = field(
        "Fixed cost per period while open (network design only).",
        0.0,
        title="Fixed cost per period",
    )

    @field_validator("closes")
    @classmethod
    def _closes_after_opens(cls, closes: date | None, info: ValidationInfo) -> date | None:
        opens = info.data.get("opens")
        if opens is not None and closes is not None and closes <= opens:
            message = f"must be after opens ({opens}), got {closes}"
            raise ValueError(message)
        return closes


class Site(SiteBase):
    """A production site with its work centers, the items it makes and its opening stock."""

    makes: list[Id] = field("Items this site may make.", default_factory=list)
    work_centers: list[WorkCenter] = field("Work centers at the site.", default_factory=list)
    initial_inventory: dict[Id, NonNegative] = field(
        "Stock on hand at the start, item -> quantity.", default_factory=dict
    )


class MakesRow(Row):
    """One item a site may make, in the top-level ``makes`` table."""

    site: Id = field("The site.")
    item: Id = field("An item the site may make.")


class InventoryRow(Row):
    """Opening stock, in the top-level ``initial_inventory`` table."""

    site: Id = field("The site holding the stock.")
    item: Id = field("The item.")
    quantity: NonNegative = field("Units on hand at the start.")


class Supply(Row):
    """An item a supplier sells, delivered to any site."""

    item: Id = field("The purchased item.")
    lead_time_days: NonNegative = field(
        "Days from order to arrival.", title="Lead time (days)", unit="days"
    )
    unit_cost: NonNegative = field("Price per unit.", title="Unit cost")
    capacity_per_period: NonNegative | None = field(
        "Most units that may be ordered per order period; empty: unlimited.",
        None,
        title="Capacity per period",
    )


class SupplyRow(Supply):
    """A supply given in the top-level ``supplies`` table."""

    supplier: Id = field("The supplier.")


class SupplierBase(Row):
    """A supplier's own columns."""

    id: Id = field("Unique identifier.")
    name: str = field("Display name.")
    country: str | None = field("Country of origin (export-control exposure).", None)


class Supplier(SupplierBase):
    """A supplier with the items it sells."""

    supplies: list[Supply] = field("Items sold.", default_factory=list)


class OnOrder(Row):
    """A purchase order already placed (scheduled receipt)."""

    supplier: Id = field("The supplier.")
    item: Id = field("The item ordered.")
    site: Id = field("The receiving site.")
    arrival: date = field("Expected arrival date (inside the horizon).")
    quantity: NonNegative = field("Units ordered.")


class InTransit(Row):
    """Units already on their way between two sites (a scheduled receipt at the destination)."""

    from_site: Id = field("The site that sent them.", title="From site")
    to_site: Id = field("The receiving site.", title="To site")
    item: Id = field("The item moved.")
    arrival: date = field("Expected arrival date (inside the horizon).")
    quantity: NonNegative = field("Units on the way.")


class RequiredTest(Row):
    """A test every unit of an item must pass before it ships (EXECUTION.md: an untested
    shipment is an exception)."""

    item: Id = field("The item tested (a serial-tracked item).")
    test: Id = field("The test's name, as test events name it.")


class Customer(Row):
    """A customer of the programme's output."""

    id: Id = field("Unique identifier.")
    name: str = field("Display name.")
    backlog_penalty: NonNegative = field(
        "Penalty per unit per period late.", title="Backlog penalty (per unit-period)"
    )
    unmet_penalty: NonNegative = field(
        "Penalty per unit still owed after the last period.", 0.0, title="Unmet penalty"
    )
    organization: Id | None = field("The organization this customer belongs to.", None)


class Lane(Row):
    """A route from a site to a customer (delivery) or to another site (transfer)."""

    from_: Id = field("Origin site.", alias="from", title="from")
    to: Id = field("Destination: a customer or a site.")
    transit_days: NonNegative = field("Days in transit.", title="Transit days", unit="days")
    cost_per_unit: NonNegative = field("Cost per unit carried.", 0.0, title="Cost per unit")


class Demand(Row):
    """Units of a product a customer wants by a date."""

    customer: Id = field("The customer.")
    item: Id = field("The product.")
    due: date = field("Due date (inside the horizon).")
    quantity: NonNegative = field("Units due.")


class StrikeBand(Row):
    """Strike rate for the sites up to a distance from the front."""

    max_km: Positive = field("Upper distance bound of the band.", unit="km")
    per_year: NonNegative = field("Strikes per site-year.")


class StrikeParams(Row):
    """What a strike does."""

    repair_days_median: Positive = field("Median repair time.", 21.0, unit="days")
    repair_days_p90: Positive = field("90th percentile of repair time.", 60.0, unit="days")
    inventory_loss_fraction: Fraction = field("Share of every stock destroyed.", 0.3)

    @model_validator(mode="after")
    def _p90_above_median(self) -> StrikeParams:
        if self.repair_days_p90 < self.repair_days_median:
            message = (
                f"repair_days_p90 ({self.repair_days_p90:g}) must not be below "
                f"repair_days_median ({self.repair_days_median:g})"
            )
            raise ValueError(message)
        return self


class AlertParams(Row):
    """Air-raid alerts: hours lost per working day, a clipped normal draw."""

    hours_per_day_mean: NonNegative = field("Mean hours lost per working day.", 0.0, unit="h")
    hours_per_day_sd: NonNegative = field("Standard deviation of hours lost.", 0.0, unit="h")


class SiteRisk(Row):
    """Per-site overrides of the strike rate and alert hours."""

    strikes_per_year: NonNegative | None = field("Strikes per year at this site.", None)
    alert_hours_per_day_mean: NonNegative | None = field(
        "Mean alert hours per working day at this site.", None, unit="h"
    )


class SupplierRisk(Row):
    """A supplier's disruption profile (export controls, factory loss)."""

    disruptions_per_year: NonNegative = field("Disruptions per year.")
    duration_days_median: Positive = field("Median disruption length.", unit="days")
    duration_days_p90: Positive = field("90th percentile of disruption length.", unit="days")

    @model_validator(mode="after")
    def _p90_above_median(self) -> SupplierRisk:
        if self.duration_days_p90 < self.duration_days_median:
            message = (
                f"duration_days_p90 ({self.duration_days_p90:g}) must not be below "
                f"duration_days_median ({self.duration_days_median:g})"
            )
            raise ValueError(message)
        return self


class LaneRisk(Row):
    """Random delays on shipments and transfers."""

    delay_probability: Fraction = field("Probability that a shipment is delayed.", 0.0)
    delay_days_mean: NonNegative = field("Mean of the exponential delay.", 0.0, unit="days")


class Risks(Row):
    """What can go wrong; used by simulation and resilience analysis, ignored by the planner."""

    seed: Whole | None = field("Default random seed.", None, ge=0)
    strike_rate_by_distance: list[StrikeBand] = field(
        "Strike rate bands; the first band whose max_km covers a site applies.",
        default_factory=list,
    )
    strike: StrikeParams = field(
        "Repair time and stock loss of a strike.", default_factory=StrikeParams
    )
    alerts: AlertParams = field("Alert hours per working day.", default_factory=AlertParams)
    sites: dict[Id, SiteRisk] = field("Per-site overrides.", default_factory=dict)
    suppliers: dict[Id, SupplierRisk] = field("Supplier disruption profiles.", default_factory=dict)
    lanes: LaneRisk = field("Lane delays.", default_factory=LaneRisk)
