"""The nodes whose loss is assessed, and how long each takes to recover.

Three kinds of node: a **site** (a strike stops all its work, its stock and the receipts due to
it), a **supplier** (it stops delivering every item it sells, orders already placed included), and
a **supplier-item** pair (one supply line stops, e.g. an export licence for one part).

Time to recover (TTR) of a node, in days, unless ``--ttr`` overrides all of them:

- a site: the **median** repair time of a strike, ``risks.strike.repair_days_median``;
- a supplier and each of its items: the **median** disruption length,
  ``risks.suppliers[id].duration_days_median``.

The median, not the mean: repair and disruption times are lognormal (see SCENARIO.md, Risks),
so a few very long outages pull the mean up; the median is the typical outage, and comparing
the time to survive with it flags the nodes that more often than not outlast the stock. A node
with no risk data gets :data:`DEFAULT_SITE_TTR_DAYS` or :data:`DEFAULT_SUPPLIER_TTR_DAYS`, and
its source says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from dronefab.model.schema import StrikeParams
from dronefab.planning.network import Network

NodeKind = Literal["site", "supplier", "supplier-item"]

DEFAULT_SITE_TTR_DAYS = float(StrikeParams().repair_days_median)
"""Days a site takes to recover when the scenario has no strike data: the format's default."""

DEFAULT_SUPPLIER_TTR_DAYS = 30.0
"""Days a supplier takes to recover when the scenario gives it no disruption profile."""


@dataclass(frozen=True)
class Node:
    """A part of the network that can stop.

    Parameters
    ----------
    name
        The site or supplier id, or ``supplier/item`` for one supply line.
    kind
        ``site``, ``supplier`` or ``supplier-item``.
    site
        Index of the site that stops (in :attr:`Network.sites`), or None.
    offers
        Indices of the supply offers that stop (in :attr:`Network.supplies`).
    supplier
        Index of the supplier concerned (in :attr:`Network.suppliers`), or None for a site.
    """

    name: str
    kind: NodeKind
    site: int | None = None
    offers: tuple[int, ...] = ()
    supplier: int | None = None


def network_nodes(network: Network) -> list[Node]:
    """Every site, every supplier and every (supplier, item) offer, in the scenario's order."""
    offers = network.supplies
    nodes = [Node(name, "site", site=n) for n, name in enumerate(network.sites)]
    for u, supplier in enumerate(network.suppliers):
        own = tuple(int(n) for n in np.flatnonzero(offers.supplier == u))
        nodes.append(Node(supplier, "supplier", offers=own, supplier=u))
    for n, (u, i) in enumerate(zip(offers.supplier, offers.item, strict=True)):
        name = f"{network.suppliers[u]}/{network.items[i]}"
        nodes.append(Node(name, "supplier-item", offers=(n,), supplier=int(u)))
    return nodes


def recovery_days(network: Network, node: Node, override: float | None) -> tuple[float, str]:
    """A node's time to recover in days, and where it comes from (in words).

    Parameters
    ----------
    network
        The network (its scenario holds the risks).
    node
        The node.
    override
        Days that replace every node's TTR (``--ttr``), or None.
    """
    if override is not None:
        return float(override), "--ttr"
    risks = network.scenario.risks
    if node.kind == "site":
        if "strike" in risks.model_fields_set:
            return float(risks.strike.repair_days_median), "median strike repair time"
        return DEFAULT_SITE_TTR_DAYS, "default: no strike data (the format's default median)"
    assert node.supplier is not None  # suppliers and supplier-items always name theirs
    profile = risks.suppliers.get(network.suppliers[node.supplier])
    if profile is None:
        return DEFAULT_SUPPLIER_TTR_DAYS, "default: no disruption profile for the supplier"
    return float(profile.duration_days_median), "median supplier disruption length"
