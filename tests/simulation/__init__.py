"""Tests of the Monte Carlo simulator."""
