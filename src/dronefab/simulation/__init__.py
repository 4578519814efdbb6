"""Simulation: a vectorised Monte Carlo of a plan under strikes, alerts and supplier cut-offs.

:mod:`dronefab.simulation.disruptions` draws every random disruption up front, as arrays over
runs, days and sites or suppliers, from one independent stream per run and kind of draw, so that
a run's draws do not depend on how runs are split into chunks or workers.
"""
