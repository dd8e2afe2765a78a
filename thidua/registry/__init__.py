"""The units registry: units, groups, contacts, and who can be reached now."""
