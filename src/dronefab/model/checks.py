"""Checks across tables: references, duplicates, the bill-of-materials graph, dates, coverage.

Each ``check_*`` function looks at rows that passed their own validation and returns problems;
none stops at the first one found. They run in :func:`run_checks`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dronefab.errors import Problem, Severity
from dronefab.model import timeline
from dronefab.model.messages import did_you_mean
from dronefab.model.schema import Horizon, Risks
from dronefab.model.sources import LocationIndex, PathKey, format_path
from dronefab.model.tables import CheckedRow, Declared

Rows = dict[str, list[CheckedRow[Any]]]
MADE_KINDS = ("product", "assembly")


@dataclass
class Context:
    """What every check needs: the rows, where they stand, and the problems found so far."""

    rows: Rows
    declared: Declared
    locations: LocationIndex
    horizon: Horizon | None
    risks: Risks | None
    problems: list[Problem]
    absent: dict[str, list[tuple[PathKey, str]]] = field(default_factory=dict)
    """References into a table that declares no ids at all, reported once per table."""
    unchecked: dict[str, list[tuple[PathKey, str]]] = field(default_factory=dict)
    """References into a table not read in full (:attr:`Declared.incomplete`): what they
    point to may be in the part not read, so they are summed up in one line per table."""

    def report(self, path: PathKey, message: str, severity: Severity = Severity.ERROR) -> None:
        """Add a problem at ``path``."""
        where = self.locations.find(path)
        self.problems.append(Problem(where, format_path(path), message, severity))

    def warn(self, path: PathKey, message: str) -> None:
        """Add a warning at ``path``."""
        self.report(path, message, Severity.WARNING)

    def ids(self, table: str) -> dict[str, CheckedRow[Any]]:
        """First row of each id in a table."""
        out: dict[str, CheckedRow[Any]] = {}
        for row in self.rows[table]:
            out.setdefault(row.value.id, row)
        return out

    def where(self, row: CheckedRow[Any], column: str) -> str:
        """The location of a row's column as text, for "first at ..." hints."""
        found = self.locations.find(row.path_of(column))
        return str(found) if found is not None else format_path(row.path_of(column))


def _reference(
    ctx: Context, row: CheckedRow[Any], column: str, noun: str, *tables: str, note: str = ""
) -> bool:
    """Report an unknown reference; True when the reference resolves (or was not written).

    ``tables`` are where the id may be declared. Nothing is reported when one of them could not
    be read in full: the id may be in the part that was not read.
    """
    value = getattr(row.value, column)
    if value is None or column in row.raw.injected:
        return True
    known = set().union(*(ctx.declared.ids[table] for table in tables))
    if value in known:
        return True
    if not known:  # the whole table is missing: one problem for all its references
        ctx.absent.setdefault(tables[-1], []).append((row.path_of(column), value))
    elif unread := sorted(ctx.declared.incomplete.intersection(tables)):
        ctx.unchecked.setdefault(unread[0], []).append((row.path_of(column), value))
    else:
        ctx.report(row.path_of(column), f"unknown {noun} '{value}'{note}{_hint(value, known)}")
    return False


def _report_unchecked(ctx: Context) -> None:
    """One line per table not read in full, for the references into it that found nothing:
    the table's own problem is the cause, reported above; one error per reference would
    bury it."""
    for table, references in ctx.unchecked.items():
        path, value = references[0]
        count = f"{len(references)} references" if len(references) > 1 else "1 reference"
        message = (
            f"{count} into this table could not be checked, as it was not read in full "
            f"(the first: {format_path(path)} '{value}'); fix the table's problems first"
        )
        ctx.report((table,), message)


def _hint(value: str, known: set[str]) -> str:
    """The likely intended id, else the few ids there are: what a planner needs to fix it."""
    return did_you_mean(value, known) or (
        f"; expected one of: {', '.join(sorted(known))}" if 0 < len(known) <= 8 else ""
    )


def check_duplicates(ctx: Context) -> None:
    """Ids must be unique per table, and keyed rows (a supplier's item, a BOM line) unique."""
    for table in ("organizations", "items", "sites", "suppliers", "customers"):
        _duplicates(ctx, table, ("id",), lambda key: f"duplicate id '{key[0]}'")
    keyed: dict[str, tuple[tuple[str, ...], Callable[[tuple[Any, ...]], str]]] = {
        "work_centers": (
            ("site", "id"),
            lambda k: f"duplicate work center '{k[1]}' at site '{k[0]}'",
        ),
        "makes": (("site", "item"), lambda k: f"site '{k[0]}' already lists '{k[1]}' in makes"),
        "initial_inventory": (
            ("site", "item"),
            lambda k: f"duplicate initial inventory of '{k[1]}' at site '{k[0]}'",
        ),
        "supplies": (
            ("supplier", "item"),
            lambda k: f"supplier '{k[0]}' already supplies '{k[1]}'",
        ),
        "bom": (
            ("parent", "component"),
            lambda k: f"duplicate bill-of-materials line '{k[0]}' -> '{k[1]}'",
        ),
        "routings": (
            ("item", "step"),
            lambda k: f"duplicate step {k[1]} in the routing of '{k[0]}'",
        ),
        "lanes": (("from_", "to"), lambda k: f"duplicate lane '{k[0]}' -> '{k[1]}'"),
    }
    for table, (columns, phrase) in keyed.items():
        _duplicates(ctx, table, columns, phrase)
    _repeated_demand(ctx)
    site_ids = set(ctx.ids("sites"))
    for row in ctx.rows["customers"]:
        if row.value.id in site_ids:
            message = f"'{row.value.id}' is both a site and a customer id; lanes could not tell them apart"
            ctx.report(row.path_of("id"), message)


def _repeated_demand(ctx: Context) -> None:
    """A demand row equal to an earlier one in every column: most likely copied twice, and
    planned twice. A warning, not an error: two equal orders due the same day can be real."""
    first: dict[tuple[Any, ...], CheckedRow[Any]] = {}
    for row in ctx.rows["demand"]:
        demand = row.value
        key = (demand.customer, demand.item, demand.due, demand.quantity)  # every column
        if key not in first:
            first[key] = row
            continue
        message = (
            f"repeats the demand row at {ctx.where(first[key], 'quantity')} exactly (customer, "
            "item, due and quantity), and both are planned: delete one if it was copied by "
            "mistake, or add them into one row"
        )
        ctx.warn(row.path_of("quantity"), message)


def _duplicates(
    ctx: Context,
    table: str,
    columns: tuple[str, ...],
    phrase: Callable[[tuple[Any, ...]], str],
) -> None:
    first: dict[tuple[Any, ...], CheckedRow[Any]] = {}
    for row in ctx.rows[table]:
        key = tuple(getattr(row.value, column) for column in columns)
        if key in first:
            column = columns[-1]
            message = f"{phrase(key)} (first at {ctx.where(first[key], column)})"
            ctx.report(row.path_of(column), message)
        else:
            first[key] = row


def check_references(ctx: Context) -> None:
    """Every id a row names must exist in the table it refers to."""
    sites = ctx.declared.ids["sites"]
    suppliers = ctx.declared.ids["suppliers"]
    customers = ctx.declared.ids["customers"]
    for row in ctx.rows["sites"]:
        _reference(ctx, row, "operator", "organization", "organizations")
    for row in ctx.rows["customers"]:
        _reference(ctx, row, "organization", "organization", "organizations")
    for row in ctx.rows["bom"]:
        _reference(ctx, row, "parent", "item", "items")
        _reference(ctx, row, "component", "item", "items")
    for row in ctx.rows["routings"]:
        _reference(ctx, row, "item", "item", "items")
        _reference(ctx, row, "work_center", "work center", "work_centers", note=": no site has one")
    for table in ("work_centers", "makes", "initial_inventory"):
        for row in ctx.rows[table]:
            _reference(ctx, row, "site", "site", "sites")
            if table != "work_centers":
                _reference(ctx, row, "item", "item", "items")
    for row in ctx.rows["supplies"]:
        _reference(ctx, row, "supplier", "supplier", "suppliers")
        _reference(ctx, row, "item", "item", "items")
    for row in ctx.rows["on_order"]:
        _reference(ctx, row, "supplier", "supplier", "suppliers")
        _reference(ctx, row, "item", "item", "items")
        _reference(ctx, row, "site", "site", "sites")
    for row in ctx.rows["in_transit"]:
        _reference(ctx, row, "from_site", "site", "sites")
        _reference(ctx, row, "to_site", "site", "sites")
        _reference(ctx, row, "item", "item", "items")
    for row in ctx.rows["required_tests"]:
        _reference(ctx, row, "item", "item", "items")
    for row in ctx.rows["lanes"]:
        if row.value.from_ in customers and row.value.from_ not in sites:
            message = (
                f"'{row.value.from_}' is a customer; a lane leads from a site "
                "(to a customer or to another site)"
            )
            ctx.report(row.path_of("from_"), message)
        else:
            _reference(ctx, row, "from_", "site", "sites")
        _reference(ctx, row, "to", "site or customer", "sites", "customers")
        if row.value.from_ == row.value.to:
            ctx.report(
                row.path_of("to"), f"a lane must lead elsewhere, got '{row.value.to}' -> itself"
            )
    for row in ctx.rows["demand"]:
        _reference(ctx, row, "customer", "customer", "customers")
        _reference(ctx, row, "item", "item", "items")
    # Keys as written, so they are checked even when the risks block has other errors.
    for section, noun, known in (("sites", "site", sites), ("suppliers", "supplier", suppliers)):
        for key in ctx.declared.risk_keys.get(section, []):
            if key not in known and section not in ctx.declared.incomplete:
                message = f"unknown {noun} '{key}'{_hint(key, known)}"
                ctx.report(("risks", section, key), message)
    for table, references in ctx.absent.items():
        if table not in ctx.declared.incomplete:
            path, value = references[0]
            if len(references) == 1:
                message = f"is missing or empty, yet {format_path(path)} refers to '{value}' in it"
            else:
                message = (
                    f"is missing or empty, yet {len(references)} references point into it "
                    f"(the first: {format_path(path)} '{value}')"
                )
            ctx.report((table,), message)


def check_item_kinds(ctx: Context) -> None:
    """Only made items have BOMs, routings and sites; only purchased items have suppliers."""
    kinds = {row.value.id: row.value.kind for row in ctx.rows["items"]}

    def expect(row: CheckedRow[Any], column: str, allowed: tuple[str, ...], why: str) -> None:
        item = getattr(row.value, column)
        kind = kinds.get(item)
        if kind is not None and kind not in allowed:
            article = "an" if kind[0] in "aeiou" else "a"
            ctx.report(row.path_of(column), f"'{item}' is {article} {kind} item; {why}")

    for row in ctx.rows["bom"]:
        expect(row, "parent", MADE_KINDS, "only products and assemblies have a bill of materials")
    for row in ctx.rows["routings"]:
        expect(row, "item", MADE_KINDS, "only products and assemblies have a routing")
    for row in ctx.rows["makes"]:
        expect(row, "item", MADE_KINDS, "sites make only products and assemblies")
    for row in ctx.rows["supplies"]:
        expect(row, "item", ("purchased",), "suppliers supply only purchased items")
    for row in ctx.rows["on_order"]:
        expect(row, "item", ("purchased",), "orders are placed only for purchased items")
    for row in ctx.rows["demand"]:
        expect(row, "item", ("product",), "demand must be for a product")
    # supplies rows that failed their own validation count: their problem is the cause
    supplied = ctx.declared.named_together("supplies", "supplier", "item")
    supplier_ids = set(ctx.ids("suppliers"))
    for row in ctx.rows["on_order"]:
        key = (row.value.supplier, row.value.item)
        if (
            row.value.supplier in supplier_ids
            and kinds.get(row.value.item) == "purchased"
            and key not in supplied
        ):
            if "supplies" in ctx.declared.incomplete:
                ctx.unchecked.setdefault("supplies", []).append((row.path_of("item"), key[1]))
                continue
            message = f"supplier '{key[0]}' has no supplies row for '{key[1]}'; add one or correct the order"
            ctx.report(row.path_of("item"), message)


def check_bom_cycles(ctx: Context) -> None:
    """The bill of materials must be acyclic; each cycle is printed as ``a -> b -> a``."""
    children: dict[str, list[tuple[str, CheckedRow[Any]]]] = defaultdict(list)
    for row in ctx.rows["bom"]:
        children[row.value.parent].append((row.value.component, row))
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for root in list(children):
        if state.get(root):
            continue
        # Iterative depth-first search so deep BOMs cannot overflow the stack.
        stack: list[tuple[str, int]] = [(root, 0)]
        trail: list[str] = [root]
        state[root] = 1
        while stack:
            node, index = stack[-1]
            edges = children.get(node, [])
            if index == len(edges):
                stack.pop()
                trail.pop()
                state[node] = 2
                continue
            stack[-1] = (node, index + 1)
            child, row = edges[index]
            if state.get(child) == 1:
                cycle = [*trail[trail.index(child) :], child]
                ctx.report(row.path, f"cycle in the bill of materials: {' -> '.join(cycle)}")
            elif not state.get(child):
                state[child] = 1
                stack.append((child, 0))
                trail.append(child)


def check_routings(ctx: Context) -> None:
    """Made items need a routing, and a site must have the work centers of what it makes."""
    routing_centers: dict[str, list[str]] = defaultdict(list)
    for row in ctx.rows["routings"]:
        if row.value.work_center not in routing_centers[row.value.item]:
            routing_centers[row.value.item].append(row.value.work_center)
    # A routing row with a bad column still gives its item a routing; a table not read in full
    # says nothing about what is absent from it.
    routed = ctx.declared.named("routings", "item")
    unrouted = [
        row
        for row in ctx.rows["items"]
        if row.value.kind in MADE_KINDS and row.value.id not in routed
    ]
    for row in unrouted if "routings" not in ctx.declared.incomplete else []:
        message = (
            f"made item '{row.value.id}' ({row.value.kind}) has no routing; "
            "add a routings row with its work center and minutes"
        )
        ctx.report(row.path, message)
    centers_at = ctx.declared.work_centers_at
    for row in ctx.rows["makes"] if "work_centers" not in ctx.declared.incomplete else []:
        site, item = row.value.site, row.value.item
        # A work center no site has is reported at the routing; not again at each site.
        missing = [
            wc
            for wc in routing_centers.get(item, [])
            if wc not in centers_at.get(site, []) and wc in ctx.declared.ids["work_centers"]
        ]
        for work_center in missing:
            has = ", ".join(centers_at.get(site, [])) or "none"
            message = (
                f"site '{site}' makes '{item}' but has no work center '{work_center}' "
                f"that its routing needs (it has: {has})"
            )
            ctx.report(row.path_of("item"), message)


def check_dates(ctx: Context) -> None:
    """Demand due dates and arrivals of orders and transfers must fall inside the horizon."""
    horizon = ctx.horizon
    if horizon is None:
        return
    last = timeline.horizon_end(horizon).toordinal() - 1
    span = (
        f"{horizon.start.isoformat()} to {date.fromordinal(last).isoformat()} "
        f"({horizon.periods} periods of {horizon.period_days} days)"
    )
    for table, column in (("demand", "due"), ("on_order", "arrival"), ("in_transit", "arrival")):
        for row in ctx.rows[table]:
            day = getattr(row.value, column)
            if not timeline.in_horizon(horizon, day):
                ctx.report(row.path_of(column), f"{day.isoformat()} is outside the horizon {span}")


def _covered(ctx: Context, table: str, column: str, *targets: str) -> set[str] | None:
    """The ids ``column`` of ``table`` names, or None when that cannot tell what is missing.

    Rows that failed their own validation count (their problem is reported already). A table
    that could not be read in full, or that names an unknown id (likely a misspelt known one),
    says nothing about what is absent.
    """
    if table in ctx.declared.incomplete:
        return None
    named = ctx.declared.named(table, column)
    known = set().union(*(ctx.declared.ids[target] for target in targets))
    return named if named <= known else None


def check_coverage(ctx: Context) -> None:
    """Warnings for things that can never flow: unsupplied parts, unreachable customers."""
    supplied = _covered(ctx, "supplies", "item", "items")
    made = _covered(ctx, "makes", "item", "items")
    lane_targets = _covered(ctx, "lanes", "to", "sites", "customers")
    for row in ctx.rows["items"]:
        item = row.value
        if item.kind == "purchased" and supplied is not None and item.id not in supplied:
            message = (
                f"purchased item '{item.id}' has no supplier; it can come only from "
                "initial inventory and orders already placed"
            )
            ctx.warn(row.path, message)
        if item.kind == "product" and made is not None and item.id not in made:
            ctx.warn(row.path, f"product '{item.id}' is made at no site")
    for row in ctx.rows["customers"]:
        if lane_targets is not None and row.value.id not in lane_targets:
            ctx.warn(
                row.path,
                f"customer '{row.value.id}' has no lane from any site; it can receive nothing",
            )
    for row in ctx.rows["sites"]:
        site = row.value
        if site.ramp_periods > 0 and site.opens is None:
            message = (
                "has no effect: the site has no opens date, so it was running before the horizon"
            )
            ctx.warn(row.path_of("ramp_periods"), message)


CHECKS: tuple[Callable[[Context], None], ...] = (
    check_duplicates,
    check_references,
    check_item_kinds,
    check_bom_cycles,
    check_routings,
    check_dates,
    check_coverage,
)


def run_checks(
    rows: Rows,
    declared: Declared,
    locations: LocationIndex,
    horizon: Horizon | None,
    risks: Risks | None,
) -> list[Problem]:
    """Run every cross-table check and return all problems found.

    Parameters
    ----------
    rows
        The rows that passed their own validation, by table.
    declared
        Ids declared per table, valid rows or not (references are checked against these).
    locations
        Where every value stands.
    horizon, risks
        The validated header blocks, None where they were invalid.
    """
    ctx = Context(rows, declared, locations, horizon, risks, [])
    for check in CHECKS:
        check(ctx)
    _report_unchecked(ctx)
    return ctx.problems
