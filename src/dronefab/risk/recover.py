"""Performance impact over the time to recover (TTR): what a node's outage costs the customers.

Simchi-Levi et al. (Interfaces 45(5), 2015) measure it with a second linear program: over the
TTR window, with node ``n`` down, the same production, material-balance and capacity constraints
as for the time to survive, but demand may go unmet; the objective is the value of the units lost.

Here a unit is *lost* when it is due in the window and still owed at its end (the network may
deliver late within the window). Each lost unit of customer ``c`` is valued at what the plan's
objective charges for a unit owed from the end of the outage to the end of the horizon and never
delivered:

    value(c) = unmet_penalty(c) + backlog_penalty(c) * max(0, horizon_days - TTR) / period_days

so the customer priorities of the scenario decide who goes short first: the LP loses the
cheapest units. (A network with spare capacity after the outage would deliver some of them
late instead, so this is an upper estimate of the penalty.)
"""

from __future__ import annotations

import numpy as np

from dronefab.planning.lp import Float
from dronefab.risk.fluid import FluidModel, Question
from dronefab.risk.nodes import Node
from dronefab.risk.rates import StagedNetwork

TIE_BREAK = 1e-6
"""Extra cost per lost unit, relative to the dearest unit, so that among equally costly answers
the LP loses the fewest units (and a customer with no penalty still gets served)."""


def lost_unit_value(network: StagedNetwork, ttr_days: float) -> Float:
    """``(customer,)``: the value of one unit lost to an outage of ``ttr_days`` days."""
    remaining = max(0.0, network.horizon_days - ttr_days) / network.period_days
    return np.asarray(network.unmet_penalty + network.backlog_penalty * remaining, dtype=float)


def loss_over(model: FluidModel, node: Node | None, ttr_days: float) -> tuple[float, float]:
    """Units lost and their value over ``ttr_days`` days with ``node`` down.

    Parameters
    ----------
    model
        The fluid LP, whose questions allow backlog here.
    node
        The node down for the whole window (None: nothing stops).
    ttr_days
        Length of the outage in days.

    Returns
    -------
    tuple of float
        ``(lost_units, impact)``: units due in the window and still owed at its end, and their
        total value (see :func:`lost_unit_value`).
    """
    network = model.network
    if ttr_days <= 0 or not len(model.owed_keys["customer"]):
        return 0.0, 0.0
    value = lost_unit_value(network, ttr_days)
    tie_break = TIE_BREAK * max(float(value.max()), 1.0)
    question = Question(
        network.lengths(ttr_days),
        shortage_value=value + tie_break,
        loss_stage=int(np.searchsorted(network.boundaries, ttr_days, side="left")),
    )
    answer = model.ask(question, node)
    if answer is None:  # doing nothing is always feasible once backlog is allowed
        message = "internal error: the time-to-recover LP has no solution"
        raise AssertionError(message)
    owed = np.clip(answer.owed, 0.0, None)
    impact = float(value[model.owed_keys["customer"]] @ owed)
    return float(owed.sum()), impact
