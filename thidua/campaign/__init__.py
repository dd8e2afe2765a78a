"""A campaign: its declarations, specification, loading, checks and compiled plan."""
