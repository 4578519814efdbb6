"""Time to survive (TTS): how long the network meets demand in full with one node down.

Simchi-Levi et al. (Interfaces 45(5), 2015) define it by a linear program: the longest ``t``
such that, with node ``n`` down, production limited by the surviving capacity rates times ``t``,
the stock at the start (and here the scheduled receipts due by then) and the material balance
through the bill of materials deliver every customer's demand rate times ``t``, with nothing lost.
It is unbounded when the surviving rates alone cover the demand rates.

With receipts the window is cut into stages (see :mod:`dronefab.risk.rates`); the network lasts
to ``t`` only if it lasts to every stage start before ``t``, so the stage in which it runs out is
found by bisection, each step an LP whose last stage has a free length to maximise (an LP with
no solution: the network runs out before that stage starts).
"""

from __future__ import annotations

import math

import numpy as np

from dronefab.planning.lp import Float
from dronefab.risk.fluid import FluidModel, Question
from dronefab.risk.nodes import Node

RELATIVE_TOLERANCE = 1e-9


def steady_state_lengths(stages: int) -> Float:
    """Stage lengths of a one-day window in the first stage (rates only, no stock)."""
    lengths = np.zeros(stages)
    lengths[0] = 1.0
    return lengths


def sustains(model: FluidModel, node: Node | None) -> bool:
    """True when the surviving rates alone meet every demand rate: an unbounded TTS.

    The LP: one day of production, purchases and deliveries at the surviving rates, no stock and
    no receipts, every customer's daily demand met in full.
    """
    question = Question(steady_state_lengths(model.network.stages), stock=False)
    return model.ask(question, node) is not None


def _window(full: Float, stage: int) -> Float:
    """Stages before ``stage`` at full length, ``stage`` up to its full length, none after."""
    lengths = np.zeros(len(full))
    lengths[: stage + 1] = full[: stage + 1]
    return lengths


def time_to_survive(
    model: FluidModel, node: Node | None, steady: FluidModel | None = None
) -> float:
    """The time to survive of the network with ``node`` down, in days (``inf``: unbounded).

    Parameters
    ----------
    model
        The fluid LP of the network.
    node
        The node that stops, or None for the intact network.
    steady
        The LP that asks whether the surviving rates alone meet demand (:func:`sustains`);
        default ``model``. A separate one-stage model of the same network answers the same and
        warm-starts from its own, similar questions.
    """
    sustained = sustains(model if steady is None else steady, node)
    return math.inf if sustained else time_until_short(model, node)


def time_until_short(model: FluidModel, node: Node | None) -> float:
    """Days until some demand goes unmet, for a node that :func:`sustains` has ruled unsustained.

    Parameters
    ----------
    model
        The fluid LP of the network (with its receipt stages).
    node
        The node that stops, or None for the intact network.
    """
    network = model.network
    starts = network.stage_starts()
    full = np.diff(np.concatenate([starts, [np.inf]]))

    def lasts(stage: int) -> float | None:
        """Days the network lasts into ``stage``; None if it runs out before the stage starts."""
        answer = model.ask(Question(_window(full, stage), free_stage=stage), node)
        return None if answer is None else answer.free_length

    # Receipts are mostly due early in the horizon and the network mostly outlasts them, so
    # the last stage is tried first: one LP when the network reaches it.
    last = network.stages - 1
    into_last = lasts(last)
    if into_last is not None:
        return max(0.0, float(starts[last] + into_last))
    # Invariant: the network reaches the start of stage `low` and lasts `into_low` days into it;
    # it does not reach the start of any stage after `high`. Stage 0 starts at day 0, when
    # nothing is due yet, so it is always reached (None cannot come back for it).
    low, high = 0, last - 1
    into_low = lasts(0) or 0.0
    while low < high and into_low >= full[low] * (1 - RELATIVE_TOLERANCE):
        middle = (low + high + 1) // 2
        into_middle = lasts(middle)
        if into_middle is None:
            high = middle - 1
        else:
            low, into_low = middle, into_middle
    return max(0.0, float(starts[low] + into_low))  # no -0.0 from round-off


def sustainable_shortfall(model: FluidModel, value: Float) -> Float:
    """``(customer, item)``: units a day of demand the intact network cannot meet at its rates.

    One day at the rates, no stock; unmet demand costs ``value`` per unit of its customer, so
    when capacity falls short, the customers whose units are worth least go short first.
    """
    network = model.network
    question = Question(
        steady_state_lengths(network.stages), stock=False, shortage_value=value, loss_stage=0
    )
    answer = model.ask(question)
    short = np.zeros_like(network.demand_per_day)
    if answer is not None:  # with backlog allowed, doing nothing is always a solution
        keys = model.owed_keys
        short[keys["customer"], keys["item"]] = np.clip(answer.owed, 0.0, None)
    return short
