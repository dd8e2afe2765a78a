"""Dates of Vietnamese plans: the phrases, working days and hours, written dates."""
