"""Hostile and careless input, end to end: the commands under a mutation fuzz (issue 19)."""
