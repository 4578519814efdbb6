"""The rows of every scenario table, as pydantic models.

One model per row kind; each field carries its description, unit and readable title, so that the
validation, the JSON Schema, the Excel headers and the format documentation all come from here.
Nested lists (a site's work centers, makes and initial inventory; a supplier's supplies) have a
"row" twin with the parent's id, used when they are given as top-level tables.
"""

from __future__ import annotations

import re
import types
import typing
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo

FORMAT_VERSION = "dronefab/1"


# -- text -------------------------------------------------------------------------------------

_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Bidirectional marks, embeddings, overrides and isolates: they reorder what a reader sees."""


def escaped(char: str) -> str:
    """A character as a reader can see it: ``\\x1b``, ``\\u202e``."""
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def unseen_character(text: str, *, formatting: bool) -> int | None:
    """The index of the first character that a terminal or a reader would not show as itself.

    Control characters (C0, DEL, C1: ESC starts terminal escapes), line and paragraph separators
    and the bidirectional controls always count; with ``formatting`` every other format character
    (zero-width joiners, soft hyphens...) counts too. None when there is none.
    """
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category in ("Cc", "Zl", "Zp") or char in _BIDI:
            return index
        if formatting and category == "Cf":
            return index
    return None


def unseen_problem(text: str, *, formatting: bool) -> str | None:
    """What is wrong with ``text`` holding a character :func:`unseen_character` finds, or None."""
    index = unseen_character(text, formatting=formatting)
    if index is None:
        return None
    kind = "control or formatting" if formatting else "control"
    return (
        f"must not contain {kind} characters; found {escaped(text[index])} at character {index + 1}"
    )


def _printable(*, formatting: bool) -> Any:
    def check(text: str) -> str:
        problem = unseen_problem(text, formatting=formatting)
        if problem is not None:
            raise ValueError(problem)
        return text

    return AfterValidator(check)


MAX_ID_LENGTH = 100
"""The longest id: the record stores ids of up to 100 characters (EXECUTION.md)."""

Id = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID_LENGTH),
    _printable(formatting=True),
]
"""An id: 1 to 100 characters, no control, bidirectional or other invisible formatting
characters."""

Name = Annotated[str, _printable(formatting=False)]
"""Display text: no control or bidirectional characters (a script's joiners are allowed)."""


# -- numbers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Range:
    """The sane range of one kind of number in a scenario.

    Generous for a real programme, finite, and small enough that the products the planner and
    the simulation form (quantity x cost, stations x hours x days) stay far below HiGHS's
    "infinity" of 1e20 and never overflow.
    """

    low: float
    high: float
    meaning: str
    low_open: bool = False
    """True when ``low`` itself is refused (a count of stations must be above 0)."""
    whole: bool = False

    def field(self) -> Any:
        """The pydantic constraint of this range."""
        if self.low_open:
            return Field(gt=self.low, le=self.high)
        return Field(ge=self.low, le=self.high)

    def text(self) -> str:
        """The range in words: ``from 0 to 1,000,000,000``, ``above 0 and at most 24``."""
        low, high = _readable(self.low), _readable(self.high)
        return f"above {low} and at most {high}" if self.low_open else f"from {low} to {high}"

    def expected(self) -> str:
        """What a value must be: ``a whole number from 1 to 10,000``."""
        return f"a {'whole ' if self.whole else ''}number {self.text()}"


def _readable(bound: float) -> str:
    """``1e9`` -> ``1,000,000,000`` (a planner counts digits badly), ``0.001`` as it is."""
    if float(bound).is_integer():
        return f"{int(bound):,}"
    return f"{bound:g}"


def range_of(info: FieldInfo) -> Range | None:
    """The range a numeric field allows (from its constraints), None for a field without one."""
    found: dict[str, float] = {}
    whole = False

    def visit(annotation: Any, metadata: list[Any]) -> None:
        nonlocal whole
        for meta in metadata:
            for bound in ("gt", "ge", "le"):
                if isinstance(getattr(meta, bound, None), int | float):
                    found[bound] = getattr(meta, bound)
            if isinstance(meta, FieldInfo):
                visit(None, list(meta.metadata))
        whole = whole or annotation is int
        if typing.get_origin(annotation) is Annotated:
            base, *extra = typing.get_args(annotation)
            visit(base, extra)
        elif isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is Union:
            for arg in typing.get_args(annotation):
                visit(arg, [])

    visit(info.annotation, list(info.metadata))
    if "le" not in found or ("gt" not in found and "ge" not in found):
        return None
    low_open = "gt" in found
    low = found["gt"] if low_open else found["ge"]
    return Range(low, found["le"], info.description or "", low_open, whole)


RANGES: dict[str, Range] = {
    "quantity": Range(0, 1e9, "Units of an item: demand, stock, orders, supplier capacity."),
    "bom quantity": Range(0, 1e6, "Units of a component per unit of its parent.", True),
    "money": Range(0, 1e9, "A cost or penalty per unit, hour or period."),
    "minutes": Range(0, 100_000, "Work-center minutes per unit started."),
    "stations": Range(0, 10_000, "Stations of a work center.", True),
    "working hours": Range(0, 24, "Working hours per station per day.", True),
    "hours": Range(0, 24, "Hours lost per working day (downtime, alerts)."),
    "efficiency": Range(0, 2, "Share of working hours that produce.", True),
    "yield": Range(0.001, 1, "Share of units started that come out good (0.1% at least)."),
    "fraction": Range(0, 1, "A share or a probability."),
    "days per week": Range(0, 7, "Working days per week.", True),
    "days": Range(0, 3650, "A lead, transit or delay time (up to ten years)."),
    "duration": Range(0, 3650, "A repair or disruption time (up to ten years).", True),
    "distance": Range(0, 100_000, "A distance to the front line."),
    "band distance": Range(0, 100_000, "The upper distance of a strike-rate band.", True),
    "rate per year": Range(0, 365, "Strikes or disruptions per year (one a day at most)."),
    "periods": Range(1, 10_000, "Periods in the horizon.", whole=True),
    "ramp periods": Range(0, 10_000, "Periods of ramp-up after opening.", whole=True),
    "period days": Range(1, 366, "Days in one period.", whole=True),
    "step": Range(0, 1_000_000, "A routing step number.", whole=True),
    "seed": Range(0, 2**63 - 1, "A random seed.", whole=True),
}
"""Every kind of number a scenario holds and its allowed range: the one place the bounds are
written (the JSON Schema and docs/scenario-format.md are generated from the fields using them)."""

_PLAIN_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _plain_number(kind: str) -> Any:
    """A validator refusing true/false (YAML reads 'yes' as true) and numbers written with
    underscores, which Python's int and float read silently (``1_000`` as 1000)."""

    def check(value: Any) -> Any:
        if isinstance(value, bool):
            message = f"must be {kind}, got {'true' if value else 'false'}"
            raise ValueError(message)
        if (
            isinstance(value, str)
            and "_" in value
            and _PLAIN_NUMBER.fullmatch(value.strip().replace("_", ""))
        ):
            message = f"must be a number like 1000, without '_', got '{value.strip()}'"
            raise ValueError(message)
        return value

    return BeforeValidator(check)


_NUMBER = _plain_number("a number")
_WHOLE = _plain_number("a whole number")
# The range comes before the validator: pydantic then writes it into the JSON Schema as
# minimum/maximum (after a validator it would write pydantic's own "ge"/"le" keys).
Quantity = Annotated[float, RANGES["quantity"].field(), _NUMBER]
BomQuantity = Annotated[float, RANGES["bom quantity"].field(), _NUMBER]
Money = Annotated[float, RANGES["money"].field(), _NUMBER]
Minutes = Annotated[float, RANGES["minutes"].field(), _NUMBER]
Stations = Annotated[float, RANGES["stations"].field(), _NUMBER]
WorkingHours = Annotated[float, RANGES["working hours"].field(), _NUMBER]
Hours = Annotated[float, RANGES["hours"].field(), _NUMBER]
Efficiency = Annotated[float, RANGES["efficiency"].field(), _NUMBER]
Yield = Annotated[float, RANGES["yield"].field(), _NUMBER]
Fraction = Annotated[float, RANGES["fraction"].field(), _NUMBER]
DaysPerWeek = Annotated[float, RANGES["days per week"].field(), _NUMBER]
Days = Annotated[float, RANGES["days"].field(), _NUMBER]
Duration = Annotated[float, RANGES["duration"].field(), _NUMBER]
Distance = Annotated[float, RANGES["distance"].field(), _NUMBER]
BandDistance = Annotated[float, RANGES["band distance"].field(), _NUMBER]
RatePerYear = Annotated[float, RANGES["rate per year"].field(), _NUMBER]
Periods = Annotated[int, RANGES["periods"].field(), _WHOLE]
RampPeriods = Annotated[int, RANGES["ramp periods"].field(), _WHOLE]
PeriodDays = Annotated[int, RANGES["period days"].field(), _WHOLE]
Step = Annotated[int, RANGES["step"].field(), _WHOLE]
Seed = Annotated[int, RANGES["seed"].field(), _WHOLE]

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
    periods: Periods = field("Number of periods in the horizon.")
    period_days: PeriodDays = field("Length of a period in days (7 for weekly).", 7)

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
    name: Name = field("Display name.")
    role: OrganizationRole = field("What the organization does in the programme.")


class Item(Row):
    """Something built, used or bought."""

    id: Id = field("Unique identifier (part number).")
    name: Name = field("Display name.")
    kind: ItemKind = field(
        "product (delivered to customers), assembly (made, used inside) or purchased (bought)."
    )
    holding_cost: Money = field(
        "Cost of holding one unit for one period.", 0.0, title="Holding cost (per unit-period)"
    )
    yield_rate: Yield = field("Share of units started that come out good.", 1.0, title="Yield rate")
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
    quantity: BomQuantity = field("Units of component per unit of parent started.")


class RoutingStep(Row):
    """Work-center time per unit of a made item started."""

    item: Id = field("The made item.")
    step: Step = field("Step number, unique per item.")
    work_center: Id = field("Work center id (as named at the sites).", title="Work center")
    minutes: Minutes = field("Minutes of that work center per unit started.", unit="min")


class WorkCenter(Row):
    """A group of identical stations at a site."""

    id: Id = field("Work center id, unique within its site; routings refer to it.")
    stations: Stations = field("Number of identical stations (a fraction for a shared one).")
    hours_per_day: WorkingHours = field(
        "Working hours per station per working day.", title="Hours per day", unit="h"
    )
    efficiency: Efficiency = field("Share of working hours that produce (OEE-like).", 1.0)


class WorkCenterRow(WorkCenter):
    """A work center given in the top-level ``work_centers`` table."""

    site: Id = field("The site this work center belongs to.")


class SiteBase(Row):
    """A production site's own columns (its nested lists excluded)."""

    id: Id = field("Unique identifier.")
    name: Name = field("Display name.")
    operator: Id = field("Organization that runs the site.")
    distance_to_front_km: Distance = field(
        "Distance to the front line.", title="Distance to front (km)", unit="km"
    )
    opens: date | None = field("First day the site works; empty: before the horizon.", None)
    closes: date | None = field("First day the site no longer works; empty: never.", None)
    days_per_week: DaysPerWeek = field("Working days per week.", 6.0, title="Days per week")
    labour_cost_per_hour: Money = field(
        "Labour cost of a work-center hour.", 0.0, title="Labour cost per hour"
    )
    downtime_hours_per_day: Hours = field(
        "Planned downtime per working day (alerts, maintenance).",
        0.0,
        title="Downtime hours per day",
        unit="h",
    )
    ramp_periods: RampPeriods = field(
        "Periods after opening until full efficiency.", 0, title="Ramp periods"
    )
    ramp_start_efficiency: Fraction = field(
        "Efficiency in the opening period.", 1.0, title="Ramp start efficiency"
    )
    candidate: bool = field(
        "Network design may open or leave closed (the planner treats it as open).", False
    )
    fixed_cost_per_period: Money = field(
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
    initial_inventory: dict[Id, Quantity] = field(
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
    quantity: Quantity = field("Units on hand at the start.")


class Supply(Row):
    """An item a supplier sells, delivered to any site."""

    item: Id = field("The purchased item.")
    lead_time_days: Days = field(
        "Days from order to arrival.", title="Lead time (days)", unit="days"
    )
    unit_cost: Money = field("Price per unit.", title="Unit cost")
    capacity_per_period: Quantity | None = field(
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
    name: Name = field("Display name.")
    country: Name | None = field("Country of origin (export-control exposure).", None)


class Supplier(SupplierBase):
    """A supplier with the items it sells."""

    supplies: list[Supply] = field("Items sold.", default_factory=list)


class OnOrder(Row):
    """A purchase order already placed (scheduled receipt)."""

    supplier: Id = field("The supplier.")
    item: Id = field("The item ordered.")
    site: Id = field("The receiving site.")
    arrival: date = field("Expected arrival date (inside the horizon).")
    quantity: Quantity = field("Units ordered.")


class InTransit(Row):
    """Units already on their way between two sites (a scheduled receipt at the destination)."""

    from_site: Id = field("The site that sent them.", title="From site")
    to_site: Id = field("The receiving site.", title="To site")
    item: Id = field("The item moved.")
    arrival: date = field("Expected arrival date (inside the horizon).")
    quantity: Quantity = field("Units on the way.")


class RequiredTest(Row):
    """A test every unit of an item must pass before it ships (EXECUTION.md: an untested
    shipment is an exception)."""

    item: Id = field("The item tested (a serial-tracked item).")
    test: Id = field("The test's name, as test events name it.")


class Customer(Row):
    """A customer of the programme's output."""

    id: Id = field("Unique identifier.")
    name: Name = field("Display name.")
    backlog_penalty: Money = field(
        "Penalty per unit per period late.", title="Backlog penalty (per unit-period)"
    )
    unmet_penalty: Money = field(
        "Penalty per unit still owed after the last period.", 0.0, title="Unmet penalty"
    )
    organization: Id | None = field("The organization this customer belongs to.", None)


class Lane(Row):
    """A route from a site to a customer (delivery) or to another site (transfer)."""

    from_: Id = field("Origin site.", alias="from", title="From")
    to: Id = field("Destination: a customer or a site.")
    transit_days: Days = field("Days in transit.", title="Transit days", unit="days")
    cost_per_unit: Money = field("Cost per unit carried.", 0.0, title="Cost per unit")


class Demand(Row):
    """Units of a product a customer wants by a date."""

    customer: Id = field("The customer.")
    item: Id = field("The product.")
    due: date = field("Due date (inside the horizon).")
    quantity: Quantity = field("Units due.")


class StrikeBand(Row):
    """Strike rate for the sites up to a distance from the front."""

    max_km: BandDistance = field("Upper distance bound of the band.", unit="km")
    per_year: RatePerYear = field("Strikes per site-year.")


class StrikeParams(Row):
    """What a strike does."""

    repair_days_median: Duration = field("Median repair time.", 21.0, unit="days")
    repair_days_p90: Duration = field("90th percentile of repair time.", 60.0, unit="days")
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

    hours_per_day_mean: Hours = field("Mean hours lost per working day.", 0.0, unit="h")
    hours_per_day_sd: Hours = field("Standard deviation of hours lost.", 0.0, unit="h")


class SiteRisk(Row):
    """Per-site overrides of the strike rate and alert hours."""

    strikes_per_year: RatePerYear | None = field("Strikes per year at this site.", None)
    alert_hours_per_day_mean: Hours | None = field(
        "Mean alert hours per working day at this site.", None, unit="h"
    )


class SupplierRisk(Row):
    """A supplier's disruption profile (export controls, factory loss)."""

    disruptions_per_year: RatePerYear = field("Disruptions per year.")
    duration_days_median: Duration = field("Median disruption length.", unit="days")
    duration_days_p90: Duration = field("90th percentile of disruption length.", unit="days")

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
    delay_days_mean: Days = field("Mean of the exponential delay.", 0.0, unit="days")


class Risks(Row):
    """What can go wrong; used by simulation and resilience analysis, ignored by the planner."""

    seed: Seed | None = field("Default random seed.", None)
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
