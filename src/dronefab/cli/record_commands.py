"""The programme's record (EXECUTION.md): the store, releases, events and what they answer.

``db upgrade``, ``db load``, ``release``, ``orders``, ``record``, ``stock``, ``trace``, ``recall``,
``exceptions`` and ``replan``; every one takes ``--db URL`` (default ``$DRONEFAB_DB``, else
``sqlite:///dronefab.db``).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.tree import Tree

from dronefab.cli.app import ScenarioArg, app, err, out, stage_display, styled
from dronefab.files import write_csv

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="The store, an SQLAlchemy URL (default: $DRONEFAB_DB, else sqlite:///dronefab.db).",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Read the record at this date (its midnight, UTC) or timestamp with an offset "
        "(default: as it stands now).",
        show_default=False,
    ),
]
ByOption = Annotated[
    str | None,
    typer.Option(
        "--by", help="Who records it, a user id (default: nobody named).", show_default=False
    ),
]

db_app = typer.Typer(name="db", help="Create, upgrade and load the store.", no_args_is_help=True)
app.add_typer(db_app)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the store's schema, or bring it to this dronefab's version."""
    from dronefab.storage.database import open_store
    from dronefab.storage.migrate import upgrade

    store = open_store(db, check_schema=False)
    before, after = upgrade(store)
    if before == after:
        out.print(f"{store.url}: schema {after}, up to date")
    else:
        out.print(f"{store.url}: schema {before or 'none'} -> {after}")


@db_app.command("load")
def db_load(
    scenario: ScenarioArg,
    db: DbOption = None,
    opening_stock: Annotated[
        bool | None,
        typer.Option(
            "--opening-stock/--no-opening-stock",
            help="Record the initial inventory as opening stock (default: for the first revision only).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Store a scenario as the next master-data revision."""
    from dronefab.model.loader import load_scenario
    from dronefab.storage.database import open_store
    from dronefab.storage.ingest import record_in
    from dronefab.storage.master import store_revision

    loaded = load_scenario(scenario)
    store = open_store(db)
    with store.writing() as connection:
        number, opening = store_revision(connection, loaded, opening_stock)
        recorded = record_in(connection, opening, source="opening stock") if opening else None
    out.print(f"{store.url}: '{loaded.name}' stored as revision {number}")
    if recorded is not None:
        out.print(f"opening stock: {recorded.recorded} adjustment events at the horizon start")


@app.command("release")
def release_command(plan_dir: Path, db: DbOption = None, by: ByOption = None) -> None:
    """Turn a plan into open orders (work, purchase, transfer, delivery)."""
    from dronefab.storage.database import open_store
    from dronefab.storage.orders import release_plan

    result = release_plan(open_store(db), plan_dir, by)
    counts = ", ".join(f"{n:,} {kind}" for kind, n in result.orders.items())
    out.print(
        f"release {result.number} (revision {result.revision}, from {result.starts.isoformat()}): "
        f"{counts} orders; {result.cancelled:,} open orders of earlier releases cancelled"
    )


@app.command("orders")
def orders_command(
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write.")] = Path(
        "orders.csv"
    ),
    site: Annotated[
        str | None, typer.Option("--site", help="Only this site (default: every site).")
    ] = None,
    kind: Annotated[
        str | None,
        typer.Option("--kind", help="work, purchase, transfer or delivery (default: every kind)."),
    ] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """List the released orders with what is done on each and their status."""
    from dronefab.storage.database import open_store
    from dronefab.storage.orders import ORDER_CSV_COLUMNS, order_table
    from dronefab.storage.timepoint import parse_as_of

    moment = parse_as_of(as_of)
    with open_store(db).reading() as connection:
        rows = order_table(connection, site=site, kind=kind, as_of=moment)
    write_csv(
        out_file,
        ORDER_CSV_COLUMNS,
        ([getattr(row, column) for column in ORDER_CSV_COLUMNS] for row in rows),
    )
    statuses = Counter(row.status for row in rows)
    summary = ", ".join(f"{n:,} {status}" for status, n in sorted(statuses.items()))
    out.print(f"{len(rows):,} orders ({summary or 'none'}): {out_file}")


@app.command("record")
def record_command(events: Path, db: DbOption = None, by: ByOption = None) -> None:
    """Record a JSON Lines file of events, whole or not at all."""
    from dronefab.storage.database import open_store
    from dronefab.storage.ingest import record_file

    store = open_store(db)
    with stage_display() as show:
        show(f"recording {events.name}")
        result = record_file(store, events, by=by)
    rate = result.recorded / result.seconds if result.seconds > 0 else 0.0
    already = f"; {result.already:,} already recorded" if result.already else ""
    batch = f" as batch {result.batch}" if result.batch is not None else ""
    out.print(
        f"{events}: {result.recorded:,} events recorded{batch} in {result.seconds:.2f} s "
        f"({rate:,.0f}/s){already}"
    )


@app.command("stock")
def stock_command(
    out_file: Annotated[
        Path | None, typer.Option("--out", help="CSV file to write (default: print a table).")
    ] = None,
    site: Annotated[
        str | None, typer.Option("--site", help="Only this site (default: every site).")
    ] = None,
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """Stock on hand by site, item and lot, and whether it is quarantined."""
    from dronefab.storage.database import open_store
    from dronefab.storage.queries import stock
    from dronefab.storage.timepoint import parse_as_of

    moment = parse_as_of(as_of)
    with open_store(db).reading() as connection:
        rows = stock(connection, site=site, as_of=moment)
    columns = ("site", "item", "lot", "on_hand", "quarantined", "held")
    if out_file is not None:
        write_csv(out_file, columns, ([getattr(r, c) for c in columns] for r in rows))
        out.print(f"{len(rows):,} stock rows: {out_file}")
        return
    table = Table(*columns, title="Stock on hand" + (f" at {moment.shown}" if moment else ""))
    for row in rows:
        table.add_row(
            row.site,
            row.item,
            row.lot,
            f"{row.on_hand:,.6g}",
            "yes" if row.quarantined else "",
            f"{row.held:,.6g}" if row.held else "",
        )
    out.print(table)


@app.command("trace")
def trace_command(
    serial: str,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = None,
) -> None:
    """One serial: its completion, tests, components down to the supplier lots, and where it is."""
    from dronefab.storage.database import open_store
    from dronefab.storage.queries import trace

    with open_store(db).reading() as connection:
        found = trace(connection, serial)
    if as_json:
        out.print_json(json.dumps(found))
        return
    now = found["now"]
    place = now["status"] or "unknown"
    if now.get("site"):
        place += f" at {now['site']}"
    if now.get("customer"):
        place += f" for {now['customer']}"
    tree = Tree(styled((serial, "bold"), f" ({found['item'] or 'item not yet known'}): {place}"))
    made = found["completion"]
    if made is not None:
        firmware = f", firmware {found['firmware']}" if found["firmware"] else ""
        tree.add(f"completed {made['at']} at {made['site']} ({made['event']}){firmware}")
    for test in found["tests"]:
        tree.add(f"test {test['test']}: {test['result']} ({test['at']})")
    parts = tree.add("components")
    _component_branches(parts, found["components"])
    out.print(tree)


def _component_branches(branch: Tree, components: list[dict[str, Any]]) -> None:
    for part in components:
        name = part.get("serial") or f"lot {part.get('lot')}"
        node = branch.add(f"{part['item']} {name}", highlight=False)
        for receipt in part.get("receipts", []):
            origin = f", origin {receipt['origin']}" if receipt.get("origin") else ""
            node.add(f"received from {receipt['supplier']} {receipt['at'][:10]}{origin}")
        _component_branches(node, part["components"])


@app.command("recall")
def recall_command(
    item: str,
    lot: str,
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write.")] = Path(
        "recall.csv"
    ),
    db: DbOption = None,
) -> None:
    """Every serial that contains a lot, directly or through assemblies, and where it is."""
    from dronefab.storage.database import open_store
    from dronefab.storage.queries import recall

    with open_store(db).reading() as connection:
        rows = recall(connection, item, lot)
    columns = ("serial", "item", "status", "site", "customer")
    write_csv(out_file, columns, ([getattr(r, c) for c in columns] for r in rows))
    statuses = Counter(row.status for row in rows)
    summary = ", ".join(f"{n:,} {status}" for status, n in sorted(statuses.items()))
    out.print(f"lot '{lot}' of '{item}': {len(rows):,} serials ({summary or 'none'}): {out_file}")


@app.command("exceptions")
def exceptions_command(
    out_file: Annotated[Path, typer.Option("--out", help="CSV file to write.")] = Path(
        "exceptions.csv"
    ),
    as_of: AsOfOption = None,
    db: DbOption = None,
) -> None:
    """What a supervisor must resolve: negative stock, off-BOM consumption, and the rest."""
    from dronefab.storage.database import open_store
    from dronefab.storage.exceptions import find_exceptions
    from dronefab.storage.timepoint import parse_as_of

    moment = parse_as_of(as_of)
    with open_store(db).reading() as connection:
        rows = find_exceptions(connection, moment)
    write_csv(
        out_file,
        ("kind", "events", "detail", "at"),
        ((r.kind, "; ".join(r.events), r.detail, r.at) for r in rows),
    )
    kinds = Counter(row.kind for row in rows)
    summary = ", ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items()))
    out.print(f"{len(rows):,} exceptions ({summary or 'none'}): {out_file}")


@app.command("replan")
def replan_command(
    as_of: Annotated[
        str, typer.Option("--as-of", help="The date the new plan starts (YYYY-MM-DD).")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for scenario/ and plan/.")],
    db: DbOption = None,
    no_explain: Annotated[
        bool, typer.Option("--no-explain", help="Skip explanations of late units (faster).")
    ] = False,
) -> None:
    """Plan what remains from the state of the record at a date."""
    from dronefab.cli.plan_commands import print_plan_headline
    from dronefab.storage.database import open_store
    from dronefab.storage.replan import replan

    with stage_display() as show:
        result = replan(open_store(db), as_of, out_dir, explain=not no_explain, progress=show)
    for note in result.notes:
        err.print(f"note: {note}", highlight=False, markup=False)
    out.print(f"scenario: {result.scenario_file}")
    print_plan_headline(result.plan.summary, result.plan_dir)
