"""Subcommands of `thidua` beyond the core ones, one module per feature.

Each module exposes `add_commands(sub, parser_class)`; `thidua.cli` lists them in
COMMAND_MODULES and imports each only to build the parser, so a module must keep its
heavy imports inside its command functions.
"""
