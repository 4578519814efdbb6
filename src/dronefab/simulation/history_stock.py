"""Stock as a generated history tracks it: lots first in, first out, serials in tested batches.

The generator (:mod:`dronefab.simulation.history`) only consumes, dispatches or ships what one of
these holders has on hand, so that the events it writes never drive the record's stock below
zero. A holder mirrors the record's ledger for one (site, item): lots of a lot-tracked item (the
opening stock in lot ``opening``), one untracked quantity (lot ``None``), or the serials of a
serial-tracked item, in batches that become usable once tested.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

EPS = 1e-9
"""Quantities closer than this are equal (plans are continuous; the record's tolerance)."""

OPENING_LOT = "opening"
"""The lot the record keeps opening stock of a lot-tracked item in (EXECUTION.md)."""


class Draws:
    """Random numbers from one numpy Generator, drawn in blocks and handed out one at a time.

    Per-event draws from numpy cost a microsecond each; a block drawn at once and read from a
    list costs a tenth of that. The numbers depend only on the seed and on the order in which
    they are asked for.

    Parameters
    ----------
    rng
        The generator (``numpy.random.default_rng(seed)``).
    block
        Numbers drawn per refill.
    """

    def __init__(self, rng: np.random.Generator, block: int = 1 << 14) -> None:
        self.rng = rng
        self.block = block
        self._uniform: list[float] = []
        self._normal: list[float] = []

    def u(self) -> float:
        """A uniform draw in [0, 1)."""
        if not self._uniform:
            self._uniform = self.rng.random(self.block).tolist()
            self._uniform.reverse()
        return self._uniform.pop()

    def n(self) -> float:
        """A standard normal draw."""
        if not self._normal:
            self._normal = self.rng.standard_normal(self.block).tolist()
            self._normal.reverse()
        return self._normal.pop()

    def below(self, n: int) -> int:
        """A uniform integer in ``[0, n)`` (``n >= 1``)."""
        return min(int(self.u() * n), n - 1)


def whole(value: float) -> float | int:
    """``value`` as an int when it is whole (shorter JSON), else as it is."""
    rounded = round(value)
    return rounded if abs(value - rounded) < EPS else value


class Holder:
    """What one site holds of one item.

    Attributes
    ----------
    lots
        Lot-tracked or untracked stock, oldest first: ``[lot, quantity]`` entries (``lot`` None
        for an untracked item); the same lot may appear twice (received twice).
    total
        Units usable: those of the lots not held (quarantined), or the serials in ``batches``
        (a batch of serials is usable from its ``ready_at``).
    batches
        Serials, oldest first: ``[ready_at, serials, taken]`` (``serials[taken:]`` are left);
        a batch is usable from ``ready_at`` (seconds from the history's start), once tested.
    held
        Entries of ``lots`` whose lot is quarantined.
    """

    __slots__ = ("batches", "held", "lots", "total")

    def __init__(self) -> None:
        self.lots: deque[list[Any]] = deque()
        self.batches: deque[list[Any]] = deque()
        self.total: float = 0
        self.held = 0

    # -- lots and untracked quantities ---------------------------------------------------------
    def put(self, lot: str | None, quantity: float, held: bool = False) -> None:
        """Add ``quantity`` of ``lot`` (``held``: a quarantined lot, not usable yet)."""
        if quantity <= EPS:
            return
        self.lots.append([lot, quantity])
        if held:
            self.held += 1
        else:
            self.total += quantity

    def take(self, need: float, held: set[str] | None) -> list[tuple[str | None, float]]:
        """Take up to ``need`` units, oldest lot first, passing over the ``held`` lots.

        Returns the (lot, quantity) parts taken, one per lot entry used.
        """
        parts: list[tuple[str | None, float]] = []
        lots = self.lots
        skip = held if self.held and held else None
        index = 0
        while need > EPS and index < len(lots):
            entry = lots[index]
            if skip is not None and entry[0] in skip:
                index += 1
                continue
            have = entry[1]
            if have <= need + EPS:
                parts.append((entry[0], have))
                need -= have
                self.total -= have
                del lots[index]  # at the front unless lots are held: cheap on a deque
            else:
                entry[1] = have - need
                parts.append((entry[0], need))
                self.total -= need
                need = 0
        return parts

    def hold(self, lot: str, held: bool) -> float:
        """Quarantine (``held``) or release a lot here; returns the quantity it holds here."""
        quantity = 0.0
        for entry in self.lots:
            if entry[0] == lot:
                quantity += entry[1]
                self.held += 1 if held else -1
        self.total += -quantity if held else quantity
        return quantity

    # -- serials -------------------------------------------------------------------------------
    def add_serials(self, ready_at: int, serials: list[str]) -> None:
        """Serials usable from ``ready_at`` (tested, or needing no test)."""
        if serials:
            self.batches.append([ready_at, serials, 0])
            self.total += len(serials)

    def ready(self, now: int, need: int) -> int:
        """How many serials (up to ``need``) are usable at ``now``."""
        count = 0
        for ready_at, serials, taken in self.batches:
            if ready_at >= now:
                break
            count += len(serials) - taken
            if count >= need:
                return need
        return count

    def take_serials(self, now: int, need: int) -> list[str]:
        """Up to ``need`` usable serials, oldest batch first."""
        out: list[str] = []
        batches = self.batches
        while need > 0 and batches:
            batch = batches[0]
            if batch[0] >= now:
                break
            serials, taken = batch[1], batch[2]
            left = len(serials) - taken
            if left <= need:
                out.extend(serials[taken:] if taken else serials)
                need -= left
                batches.popleft()
            else:
                out.extend(serials[taken : taken + need])
                batch[2] = taken + need
                need = 0
        self.total -= len(out)
        return out

    def drop_newest(self, now: int, count: int) -> list[str]:
        """Remove up to ``count`` of the newest usable serials (destroyed by a strike)."""
        out: list[str] = []
        for batch in reversed(self.batches):
            if len(out) >= count:
                break
            if batch[0] >= now:
                continue
            serials, taken = batch[1], batch[2]
            while len(out) < count and len(serials) > taken:
                out.append(serials.pop())
        if out:
            self.batches = deque(b for b in self.batches if len(b[1]) > b[2])
        self.total -= len(out)
        return out


class Line:
    """One item made at one site: its components' holders there, and the work carried over.

    Attributes
    ----------
    parts
        (component, units per unit started, its holder at the site, its tracking), in bill of
        materials order.
    carry_good, carry_scrap
        Units of earlier batches not built for want of parts, tried again the next day.
    serial
        The last serial number given at this line.
    prefix
        Serial prefixes by week (``Q-WSN1-2701-``).
    """

    __slots__ = ("carry_good", "carry_scrap", "info", "out", "parts", "prefix", "serial", "site")

    def __init__(self, site: int, info: Any, out: Holder, parts: list[Any]) -> None:
        self.site = site
        self.info = info
        self.out = out
        self.parts = parts
        self.carry_good = 0
        self.carry_scrap = 0
        self.serial = 0
        self.prefix: dict[str, str] = {}


class Flow:
    """A transfer (site to site) or delivery (site to customer) of one item.

    ``dest`` is the destination site's index, -1 for a customer; ``carry`` the units due
    earlier that did not leave (short of stock), sent with the next day's.
    """

    __slots__ = ("carry", "dest", "holder", "info", "site", "to", "transit")

    def __init__(
        self, site: int, to: str, info: Any, holder: Holder, dest: int, transit: float
    ) -> None:
        self.site = site
        self.to = to
        self.info = info
        self.holder = holder
        self.dest = dest
        self.transit = transit
        self.carry = 0
