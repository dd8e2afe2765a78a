"""A registry written in YAML, read defensively: it comes from an admin's editor, or an attacker.

Aliases (“billion laughs”), deep nesting (libyaml recurses in C), huge numbers and
Python tags are refused with their line before anything is built; duplicate keys,
which YAML silently drops, are reported; each top-level key and each item of
`units` / `groups` is located by its line for the messages of the validation.
"""

from __future__ import annotations

import re
from typing import Any

from thidua.errors import Problem, RegistryError
from thidua.registry.findings import fail

#: registry, units, a unit, its contacts: four levels; anything far deeper is an attack
MAX_YAML_DEPTH = 20


# YAML 1.1 integers and floats (with “_” and “:” separators), as PyYAML reads them
_YAML_NUMBER = re.compile(
    r"[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_:]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?)"
)


def read_yaml(text: str, source: str) -> tuple[Any, dict[str, str], list[Problem]]:
    """The data of a YAML registry, the line of each item, and its duplicate keys."""
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        # Aliases are refused before anything is built: a few lines of nested
        # aliases (“billion laughs”) expand to gigabytes once code walks the data.
        events = loader_cls(text)
        depth = 0
        try:
            while events.check_event():
                event = events.get_event()
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_YAML_DEPTH:
                        # libyaml composes nodes recursively in C: a few thousand
                        # nested “[” overflow its stack and kill the process.
                        line = event.start_mark.line + 1
                        raise fail(
                            source,
                            f"cấu trúc YAML lồng nhau quá {MAX_YAML_DEPTH} cấp (dòng {line}); "
                            "danh mục đơn vị chỉ cần vài cấp: units → đơn vị → contacts",
                            where=f"{source}:{line}",
                        )
                elif isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1
                elif (
                    isinstance(event, yaml.ScalarEvent)
                    and not event.style  # plain: None (PyYAML) or "" (libyaml)
                    and len(event.value) > 100
                    and _YAML_NUMBER.fullmatch(event.value)
                ):
                    # PyYAML's int() of over 4,300 digits raises a bare ValueError
                    line = event.start_mark.line + 1
                    raise fail(
                        source,
                        f"số có {len(event.value)} chữ số ở dòng {line}; danh mục đơn vị "
                        "không có số nào dài như vậy",
                        where=f"{source}:{line}",
                    )
                elif isinstance(event, yaml.AliasEvent):
                    line = event.start_mark.line + 1
                    raise fail(
                        source,
                        "không được dùng tham chiếu YAML (&neo / *bí-danh); "
                        "hãy viết đầy đủ từng mục",
                        f"*{event.anchor}",
                        where=f"{source}:{line}",
                    )
        finally:
            events.dispose()
        loader = loader_cls(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as exc:
        tag = re.search(r"tag '([^']*)'", str(exc.problem or ""))
        if tag is None:
            raise _yaml_syntax(exc, source) from None
        shown = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        mark = exc.problem_mark
        line = mark.line + 1 if mark else 0
        raise fail(
            source,
            f"thẻ YAML “{shown}” không được dùng (dòng {line}); danh mục chỉ gồm chữ, số, "
            "danh sách và bảng",
            shown,
            where=f"{source}:{line}" if line else source,
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_syntax(exc, source) from None
    except yaml.YAMLError as exc:
        raise fail(source, f"tệp YAML không đọc được ({exc})") from None
    except (ValueError, OverflowError, RecursionError) as exc:
        # PyYAML's constructors may raise these for values no registry contains
        raise fail(source, f"tệp YAML có giá trị không đọc được ({type(exc).__name__})") from None
    if data is None:
        raise fail(source, "tệp rỗng; cần các khóa name, groups, units")
    locations: dict[str, str] = {}
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        _yaml_locations(node, source, locations, problems, yaml)
    return data, locations, problems


def _yaml_syntax(exc: Any, source: str) -> RegistryError:
    """A YAML syntax error located by line and column."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    column = mark.column + 1 if mark else 0
    detail = " ".join(str(exc.problem or exc.context or "").split())
    return fail(
        source,
        f"lỗi cú pháp YAML ở dòng {line}, cột {column} ({detail}); kiểm tra thụt lề, "
        "dấu “:” và dấu nháy",
        where=f"{source}:{line}" if line else source,
    )


def _yaml_locations(
    root: Any, source: str, locations: dict[str, str], problems: list[Problem], yaml: Any
) -> None:
    """Record the line of each item and report duplicate keys, which YAML silently drops."""

    def check_duplicates(node: Any, path: str) -> None:
        seen: dict[str, int] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                if key.value in seen:
                    problems.append(
                        Problem(
                            f"{path}.{key.value}" if path else key.value,
                            f"khóa “{key.value}” lặp lại (đã có ở dòng {seen[key.value]}); "
                            "YAML sẽ bỏ giá trị trước, hãy giữ một khóa",
                            source=f"{source}:{line}",
                        )
                    )
                seen.setdefault(key.value, line)

    check_duplicates(root, "")
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        locations[key.value] = f"{source}:{key.start_mark.line + 1}"
        if key.value in ("units", "groups") and isinstance(value, yaml.SequenceNode):
            for i, item in enumerate(value.value):
                at = f"{key.value}[{i}]"
                locations[at] = f"{source}:{item.start_mark.line + 1}"
                if isinstance(item, yaml.MappingNode):
                    check_duplicates(item, at)
