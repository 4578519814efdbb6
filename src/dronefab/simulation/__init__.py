"""Simulation: a Monte Carlo of a plan under strikes, alerts and supplier cut-offs.

:mod:`dronefab.simulation.disruptions` draws every random disruption up front, as arrays over
runs, days and sites or suppliers, from one independent stream per run and kind of draw, so that
a run's draws do not depend on how runs are split into chunks or workers.
:mod:`dronefab.simulation.engine` executes the plan on arrays laid out ``(run, ...)`` with a
compiled kernel (:mod:`dronefab.simulation.kernel`, numba, no Python loop in the daily step),
parts of a block of runs on parallel threads; :mod:`dronefab.simulation.results` runs blocks
locally or on Ray and gives the result tables.
"""
