"""The status board: rows read from the store, and their terminal view."""
