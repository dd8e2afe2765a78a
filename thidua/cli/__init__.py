"""The `thidua` command line: a thin layer over the library, one module per feature.

Each feature module exposes `add_commands(sub, parser_class)`; `thidua.cli.main` calls
those of the core's modules, and those the outer layers register under the
`thidua.commands` entry point, only to build the parser, so a module must keep its
heavy imports inside its command functions.
"""
