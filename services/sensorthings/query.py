"""The query options of a SensorThings request ($filter, $orderby, $top, $skip, $count, $expand, $select),
parsed and bounded; which properties they may name is the entity set's business (``sql``).

``$filter`` is parsed by odata-query's OData v4 grammar (the grammar SensorThings 1.1 §9.3.3.5 builds on);
its input is bounded in length and the resulting expression in nesting depth and size, so no request
can make the parser or the SQL translation work without limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from odata_query import ast
from odata_query.exceptions import ODataException, ParsingException, TokenizingException
from odata_query.grammar import ODataLexer, ODataParser

MAX_FILTER_LENGTH = 2000
MAX_FILTER_DEPTH = 16
MAX_FILTER_NODES = 200
MAX_SKIP = 10_000_000
MAX_LIST_ITEMS = 20  # $orderby, $expand and $select entries
OPTIONS = ("$filter", "$orderby", "$top", "$skip", "$count", "$expand", "$select")
NOT_SERVED = {"$resultFormat": "$resultFormat (dataArray) is not served", "$search": "$search is not served"}
PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}(/[A-Za-z@][A-Za-z0-9_.]{0,63}){0,3}$")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")
INTEGER = re.compile(r"^[0-9]{1,12}$")


class QueryError(ValueError):
    """A request the service cannot answer as asked: answered 400 with this message."""


@dataclass(frozen=True, slots=True)
class QueryOptions:
    filter: ast._Node | None = None
    orderby: tuple[tuple[str, bool], ...] = ()  # (property path, descending)
    top: int | None = None
    skip: int = 0
    count: bool = False
    expand: tuple[str, ...] = ()
    select: tuple[str, ...] = ()


def _children(node: ast._Node) -> Iterable[ast._Node]:
    if isinstance(node, ast.BoolOp | ast.Compare | ast.BinOp):
        return (node.left, node.right)
    if isinstance(node, ast.UnaryOp):
        return (node.operand,)
    if isinstance(node, ast.Call):
        return tuple(node.args)
    if isinstance(node, ast.List):
        return tuple(node.val)
    if isinstance(node, ast.Attribute):
        return (node.owner,)
    return ()


def _check_size(root: ast._Node) -> None:
    """Depth and node count, walked without recursion (the expression is untrusted)."""
    stack, nodes = [(root, 1)], 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_FILTER_DEPTH:
            raise QueryError(f"$filter nests deeper than {MAX_FILTER_DEPTH} levels")
        if nodes > MAX_FILTER_NODES:
            raise QueryError(f"$filter has more than {MAX_FILTER_NODES} terms")
        stack.extend((child, depth + 1) for child in _children(node))


def parse_filter(text: str) -> ast._Node:
    if len(text) > MAX_FILTER_LENGTH:
        raise QueryError(f"$filter is longer than {MAX_FILTER_LENGTH} characters")
    if not text.strip():
        raise QueryError("$filter is empty")
    try:
        tree: ast._Node = ODataParser().parse(ODataLexer().tokenize(text))
    except (TokenizingException, ParsingException) as error:
        where = f"at position {error.token.index}: {str(error.token.value)[:20]!r}" if error.token else "at its end"
        raise QueryError(f"$filter is not a valid expression {where}") from None
    except ODataException as error:
        raise QueryError(f"$filter is not a valid expression: {error}") from None
    if tree is None:
        raise QueryError("$filter is not a valid expression")
    _check_size(tree)
    return tree


def _items(option: str, text: str) -> list[str]:
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise QueryError(f"{option} has an empty entry")
    if len(items) > MAX_LIST_ITEMS:
        raise QueryError(f"{option} has more than {MAX_LIST_ITEMS} entries")
    return items


def parse_orderby(text: str) -> tuple[tuple[str, bool], ...]:
    order = []
    for item in _items("$orderby", text):
        words = item.split()
        direction = words[1].lower() if len(words) == 2 else "asc"
        if len(words) > 2 or direction not in ("asc", "desc") or not PATH.match(words[0]):
            raise QueryError(f"$orderby entry {item[:80]!r} is not 'property [asc|desc]'")
        order.append((words[0], direction == "desc"))
    return tuple(order)


def _integer(option: str, text: str, maximum: int) -> int:
    if not INTEGER.match(text) or int(text) > maximum:
        raise QueryError(f"{option} must be a whole number from 0 to {maximum}")
    return int(text)


def _names(option: str, text: str) -> tuple[str, ...]:
    names = _items(option, text)
    for name in names:
        if "(" in name or "/" in name:
            raise QueryError(f"{option} {name[:80]!r}: nested options and paths are not served (one level only)")
        if not NAME.match(name) and not (option == "$select" and name in ("id", "@iot.id")):
            raise QueryError(f"{option} entry {name[:80]!r} is not a property name")
    return tuple(names)


def parse_options(params: Iterable[tuple[str, str]], max_top: int) -> QueryOptions:
    """The query options of a request's query string (other, non-$ parameters are ignored, as OData does)."""
    seen: dict[str, str] = {}
    for key, value in params:
        if not key.startswith("$"):
            continue
        if key in NOT_SERVED:
            raise QueryError(NOT_SERVED[key])
        if key not in OPTIONS:
            raise QueryError(f"unknown query option {key[:40]!r}; served: {', '.join(OPTIONS)}")
        if key in seen:
            raise QueryError(f"{key} is given more than once")
        seen[key] = value
    return _options(seen, max_top)


def _options(raw: Mapping[str, str], max_top: int) -> QueryOptions:
    count = raw.get("$count", "false").lower()
    if count not in ("true", "false"):
        raise QueryError("$count must be true or false")
    return QueryOptions(
        filter=parse_filter(raw["$filter"]) if "$filter" in raw else None,
        orderby=parse_orderby(raw["$orderby"]) if "$orderby" in raw else (),
        top=_integer("$top", raw["$top"], max_top) if "$top" in raw else None,
        skip=_integer("$skip", raw["$skip"], MAX_SKIP) if "$skip" in raw else 0,
        count=count == "true",
        expand=_names("$expand", raw["$expand"]) if "$expand" in raw else (),
        select=_names("$select", raw["$select"]) if "$select" in raw else (),
    )
