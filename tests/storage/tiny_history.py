"""A hand-written history of tests/storage/tiny.yaml, and what it leaves, computed by hand.

Times are local (+02:00). The numbers below are what the tests expect; each is worked out here.

hub: opening 100 cells (lot "opening").
  r1  Jan 5 09:00  receipt 40 cells lot C1 from cellco (origin KR)        cell C1 = 40
  c1  Jan 5 12:00  20 packs lot P1 from 40 opening cells                  cell opening = 60
  d1  Jan 5 15:00  dispatch 20 packs P1 to ws (lane: 2 days)              pack P1 at hub = 0
  q1  Jan 10 08:00 quarantine cell lot C1
  c3  Jan 11 09:00 10 packs lot P2 from 20 cells of C1 (held: exception)  cell C1 = 20
  d2  Jan 11 12:00 dispatch 10 packs P2 to ws; never arrives (exception)
ws: opening 10 frames (lot "opening"), 100 screws (untracked).
  a1  Jan 7 10:00  arrival of d1                                          pack P1 at ws = 20
  c2  Jan 8 10:00  5 drones D1-D5 from 5 frames, 5 packs P1, 20 screws    frame 5, P1 15, screw 80
  t1-t5 Jan 8 14:00 flight tests: D1-D4 pass, D5 fails
  s1  Jan 9 10:00  ship D1-D4 to army
  s2  Jan 9 11:00  ship D5 to army (its only test failed: exception)
  k1  Jan 12 03:00 strike, repair 10 days (until Jan 22 01:00 UTC); 3 opening frames destroyed
  c4  Jan 13 08:00 drone D6 from 1 frame, 1 pack P1, 3 screws (BOM: 4; exception)
  j1  Jan 13 09:00 adjustment -90 screws: 80 - 3 - 90 = -13 (negative stock: exception)
  c5  Jan 14 08:00 drone D6 again (completed twice: exception), 1 frame, 1 pack P1, 4 screws
  x1  Jan 14 09:00 acceptance of s1
At 2027-01-15 (midnight UTC): hub cell opening 60, cell C1 20 (held); ws frame opening
10 - 5 - 3 - 1 - 1 = 0, pack P1 20 - 5 - 1 - 1 = 13, screw 80 - 3 - 90 - 4 = -17, drone
5 + 1 + 1 - 4 - 1 = 2 (D6 counted twice, as the ledger says).
"""

from __future__ import annotations

from typing import Any

SCENARIO = "tests/storage/tiny.yaml"


def at(day: int, hour: int) -> str:
    """Jan ``day`` 2027 at ``hour``:00 local time (+02:00)."""
    return f"2027-01-{day:02d}T{hour:02d}:00:00+02:00"


def opening(item: str, lot: str | None = "opening", **extra: Any) -> dict[str, Any]:
    part: dict[str, Any] = {"item": item, **extra}
    if lot is not None:
        part["lot"] = lot
    return part


def events() -> list[dict[str, Any]]:
    """The history, in the order it happened."""
    drones = [f"D{n}" for n in range(1, 6)]
    return [
        {"id": "r1", "type": "receipt", "at": at(5, 9), "site": "hub", "supplier": "cellco",
         "item": "cell", "quantity": 40, "lot": "C1", "origin": "KR", "licence": "EXP-1"},
        {"id": "c1", "type": "completion", "at": at(5, 12), "site": "hub", "item": "pack",
         "good": 20, "lot": "P1", "consumed": [opening("cell", quantity=40)]},
        {"id": "d1", "type": "dispatch", "at": at(5, 15), "site": "hub", "to_site": "ws",
         "item": "pack", "quantity": 20, "lots": [{"lot": "P1", "quantity": 20}]},
        {"id": "a1", "type": "arrival", "at": at(7, 10), "site": "ws", "dispatch": "d1"},
        {"id": "c2", "type": "completion", "at": at(8, 10), "site": "ws", "item": "drone",
         "good": 5, "serials": drones, "firmware": "1.4.2",
         "consumed": [opening("frame", quantity=5), opening("pack", "P1", quantity=5),
                      opening("screw", None, quantity=20)]},
        *[
            {"id": f"t{n}", "type": "test", "at": at(8, 14), "site": "ws", "serial": serial,
             "test": "flight", "result": "pass" if n < 5 else "fail",
             "measurements": {"hover_current_a": 11.5 + n / 10}}
            for n, serial in enumerate(drones, start=1)
        ],
        {"id": "s1", "type": "shipment", "at": at(9, 10), "site": "ws", "customer": "army",
         "item": "drone", "quantity": 4, "serials": drones[:4]},
        {"id": "s2", "type": "shipment", "at": at(9, 11), "site": "ws", "customer": "army",
         "item": "drone", "quantity": 1, "serials": ["D5"]},
        {"id": "q1", "type": "quarantine", "at": at(10, 8), "item": "cell", "lot": "C1",
         "reason": "cell supplier's recall notice"},
        {"id": "c3", "type": "completion", "at": at(11, 9), "site": "hub", "item": "pack",
         "good": 10, "lot": "P2", "consumed": [opening("cell", "C1", quantity=20)]},
        {"id": "d2", "type": "dispatch", "at": at(11, 12), "site": "hub", "to_site": "ws",
         "item": "pack", "quantity": 10, "lots": [{"lot": "P2", "quantity": 10}]},
        {"id": "k1", "type": "strike", "at": at(12, 3), "site": "ws", "repair_days": 10,
         "destroyed": [opening("frame", quantity=3)]},
        {"id": "c4", "type": "completion", "at": at(13, 8), "site": "ws", "item": "drone",
         "good": 1, "serials": ["D6"],
         "consumed": [opening("frame", quantity=1), opening("pack", "P1", quantity=1),
                      opening("screw", None, quantity=3)]},
        {"id": "j1", "type": "adjustment", "at": at(13, 9), "site": "ws", "item": "screw",
         "quantity": -90, "reason": "count after the strike"},
        {"id": "c5", "type": "completion", "at": at(14, 8), "site": "ws", "item": "drone",
         "good": 1, "serials": ["D6"],
         "consumed": [opening("frame", quantity=1), opening("pack", "P1", quantity=1),
                      opening("screw", None, quantity=4)]},
        {"id": "x1", "type": "acceptance", "at": at(14, 9), "site": "ws", "shipment": "s1",
         "accepted": drones[:4]},
    ]  # fmt: skip


REFERENCES = {"a1": "d1", "x1": "s1"}
"""Events that name another: the door refuses them before it (an unknown dispatch...)."""

STOCK_ON_JAN_15 = {
    ("hub", "cell", "opening"): 60.0,
    ("hub", "cell", "C1"): 20.0,
    ("ws", "pack", "P1"): 13.0,
    ("ws", "screw", ""): -17.0,
    ("ws", "drone", ""): 2.0,
}
"""Non-zero stock on hand at 2027-01-15, by (site, item, lot): see the module docstring."""

EXCEPTIONS = {
    ("untested_shipment", ("s2",)),
    ("quarantined_used", ("q1", "c3")),
    ("dispatch_overdue", ("d2",)),
    ("consumption_off_bom", ("c4",)),
    ("negative_stock", ("j1",)),
    ("completed_twice", ("c4", "c5")),
}
