"""The state store: tables, engine, migrations, and keyword-only reads and writes."""
