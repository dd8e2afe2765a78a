"""Text as it reaches people: folding for comparison, names and titles."""
