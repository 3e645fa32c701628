"""YAML read as nodes, so every value keeps its line (`node.start_mark.line + 1`) for provenance."""

from __future__ import annotations

from typing import Any, Optional

from devenv.config import bounded
from devenv.errors import ConfigError

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"


def compose_documents(text: str, label: str) -> list[Any]:
    """Every non-empty document of a (multi-document) YAML text, as nodes."""
    import yaml  # lazy: only env commands need it

    try:
        return bounded.yaml_documents(text, label)  # size, depth and aliases bounded
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        # Only the problem, never the snippet: the text may hold secret values.
        raise ConfigError(
            f"{label}:{line}: not valid YAML: {err.problem or err.context}",
            "fix the YAML syntax (indentation, quoting) at that line",
        ) from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{label}: not valid YAML: {type(err).__name__}", "fix the YAML syntax") from None


def line(node: Any) -> int:
    return int(node.start_mark.line) + 1


def is_mapping(node: Any) -> bool:
    import yaml

    return isinstance(node, yaml.MappingNode)


def is_sequence(node: Any) -> bool:
    import yaml

    return isinstance(node, yaml.SequenceNode)


def is_scalar(node: Any) -> bool:
    import yaml

    return isinstance(node, yaml.ScalarNode)


def items(node: Any) -> list[tuple[str, Any, Any]]:
    """(key, key node, value node) of a mapping node; later duplicates win, as in Kubernetes."""
    if not is_mapping(node):
        return []
    found: dict[str, tuple[str, Any, Any]] = {}
    for key_node, value_node in node.value:
        if is_scalar(key_node):
            found[str(key_node.value)] = (str(key_node.value), key_node, value_node)
    return list(found.values())


def get(node: Any, key: str) -> Optional[Any]:
    for name, _, value in items(node):
        if name == key:
            return value
    return None


def get_path(node: Any, *keys: str) -> Optional[Any]:
    for key in keys:
        if node is None:
            return None
        node = get(node, key)
    return node


def text(node: Any) -> Optional[str]:
    """A scalar's text (None for null, mappings and sequences)."""
    if node is None or not is_scalar(node) or node.tag == NULL_TAG:
        return None
    return str(node.value)


def elements(node: Any) -> list[Any]:
    return list(node.value) if node is not None and is_sequence(node) else []


def scalar_kind(node: Any) -> str:
    """'string', 'number', 'boolean', 'null' or 'other' — for messages about unquoted values."""
    tag = getattr(node, "tag", "")
    return {
        STR_TAG: "string",
        NULL_TAG: "null",
        "tag:yaml.org,2002:int": "number",
        "tag:yaml.org,2002:float": "number",
        "tag:yaml.org,2002:bool": "boolean",
    }.get(tag, "other")
