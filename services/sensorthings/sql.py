"""The entity sets as SQL over the registry and ``readings``, and the query that owns a request's SQL.

Each entity set is a select with labelled columns, restricted to the key's stations; the properties a
``$filter`` or ``$orderby`` may name map to those columns, each with its type, so a filter is
translated into SQL with bound parameters only (never text) and a property of the wrong type, a
function or arithmetic is refused with a 400 naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from odata_query import ast
from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    Select,
    String,
    Subquery,
    and_,
    func,
    literal,
    not_,
    or_,
    select,
    true,
    values,
)
from sqlalchemy import column as sql_column

from services.sensorthings.keys import Scope
from services.sensorthings.query import QueryError, QueryOptions
from services.standards.parameters import PARAMETERS
from services.storage.schema import parties, readings, station_programmes, stations

PropertyType = Literal["time", "number", "text"]
MAX_NUMBER = Decimal(10) ** 15
MAX_TEXT = 200
NUMBER = re.compile(r"^-?[0-9]{1,20}(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ID_SEPARATOR = ":"
COMPARATORS: Mapping[type[ast._Comparator], Callable[[Any, Any], ColumnElement[bool]]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
MIRRORED: Mapping[type[ast._Comparator], ast._Comparator] = {
    ast.Eq: ast.Eq(),
    ast.NotEq: ast.NotEq(),
    ast.Lt: ast.Gt(),
    ast.LtE: ast.GtE(),
    ast.Gt: ast.Lt(),
    ast.GtE: ast.LtE(),
}


class NotFound(LookupError):
    """No such entity within the key's scope: answered 404."""


@dataclass(frozen=True, slots=True)
class Navigation:
    target: str  # entity set name
    single: bool
    link: Callable[[RowMapping], dict[str, Any]]  # target column -> value, from the parent's row


@dataclass(frozen=True, slots=True)
class EntitySet:
    name: str
    base: Callable[[Scope], Select[Any]]
    properties: Mapping[str, tuple[str, PropertyType]]  # $filter/$orderby path -> (column, type)
    key: tuple[str, ...]  # the columns that identify an entity, in default order
    parse_id: Callable[[str], dict[str, Any]]
    navigations: Mapping[str, Navigation] = field(default_factory=dict)


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    return stations.c.code.in_(sorted(scope.stations))


def _parameters() -> Any:
    rows = [(p.code, p.name_zh, p.name_en, p.unit, p.kind.value) for p in PARAMETERS.values()]
    return (
        values(
            sql_column("code", String),
            sql_column("name_zh", String),
            sql_column("name_en", String),
            sql_column("unit", String),
            sql_column("kind", String),
            name="parameter_list",
        )
        .data(rows)
        .alias("p")
    )


def _things(scope: Scope) -> Select[Any]:
    return (
        select(
            stations.c.code.label("id"),
            stations.c.name,
            func.coalesce(stations.c.note, stations.c.name).label("description"),
            stations.c.kind,
            stations.c.river,
            stations.c.basin,
            stations.c.city,
            stations.c.county,
            stations.c.control_level,
            stations.c.target_class,
            stations.c.operator,
            parties.c.name.label("operator_name"),
            stations.c.monitors_section,
            stations.c.illustrative,
            stations.c.latitude,
            stations.c.longitude,
        )
        .select_from(stations.outerjoin(parties, parties.c.code == stations.c.operator))
        .where(_in_scope(scope))
    )


def _locations(scope: Scope) -> Select[Any]:
    return select(
        stations.c.code.label("id"),
        stations.c.name,
        func.concat_ws(" ", stations.c.city, stations.c.county, stations.c.river).label("description"),
        stations.c.latitude,
        stations.c.longitude,
    ).where(_in_scope(scope), stations.c.latitude.is_not(None), stations.c.longitude.is_not(None))


def _sensors(scope: Scope) -> Select[Any]:
    return select(
        stations.c.code.label("id"),
        (stations.c.name + literal(" 自动监测仪器")).label("name"),
        stations.c.kind,
        stations.c.name.label("station_name"),
    ).where(_in_scope(scope))


def _measured(scope: Scope) -> Select[Any]:
    """(station, parameter) of every programme entry in scope: what a station measures or measured."""
    return (
        select(station_programmes.c.station, station_programmes.c.parameter)
        .where(station_programmes.c.station.in_(sorted(scope.stations)))
        .distinct()
    )


def _observed_properties(scope: Scope) -> Select[Any]:
    p = _parameters()
    measured = _measured(scope).subquery()
    return select(p.c.code.label("id"), p.c.name_zh.label("name"), p.c.name_en, p.c.unit, p.c.kind).where(
        p.c.code.in_(select(measured.c.parameter))
    )


def _datastreams(scope: Scope) -> Select[Any]:
    p = _parameters()
    programmes = (
        select(
            station_programmes.c.station,
            station_programmes.c.parameter,
            func.min(station_programmes.c.valid_from).label("since"),
        )
        .where(station_programmes.c.station.in_(sorted(scope.stations)))
        .group_by(station_programmes.c.station, station_programmes.c.parameter)
        .subquery()
    )
    return (
        select(
            (programmes.c.station + literal(ID_SEPARATOR) + programmes.c.parameter).label("id"),
            (stations.c.name + literal(" ") + p.c.name_zh).label("name"),
            programmes.c.station,
            stations.c.name.label("station_name"),
            programmes.c.parameter,
            p.c.name_zh.label("parameter_name"),
            p.c.name_en.label("parameter_name_en"),
            p.c.unit,
            programmes.c.since,
        )
        .select_from(
            programmes.join(stations, stations.c.code == programmes.c.station).join(
                p, p.c.code == programmes.c.parameter
            )
        )
        .where(_in_scope(scope))
    )


def _observations(scope: Scope) -> Select[Any]:
    return select(
        readings.c.station,
        readings.c.parameter,
        (readings.c.station + literal(ID_SEPARATOR) + readings.c.parameter).label("datastream"),
        readings.c.time,
        readings.c.value,
        readings.c.flag,
        readings.c.source,
        readings.c.received_at,
    ).where(readings.c.station.in_(sorted(scope.stations)))


def _text_id(raw: str) -> dict[str, Any]:
    return {"id": raw}


def _datastream_id(raw: str) -> dict[str, Any]:
    station, separator, parameter = raw.partition(ID_SEPARATOR)
    if not separator or not station or not parameter:
        raise NotFound(f"{raw!r} is not a Datastream id (STATION:parameter)")
    return {"station": station, "parameter": parameter}


def observation_id(station: str, parameter: str, time: datetime) -> str:
    return ID_SEPARATOR.join((station, parameter, time.astimezone(UTC).isoformat().replace("+00:00", "Z")))


def _observation_id(raw: str) -> dict[str, Any]:
    parts = raw.split(ID_SEPARATOR, 2)
    if len(parts) != 3:
        raise NotFound(f"{raw!r} is not an Observation id (STATION:parameter:time)")
    try:
        time = datetime.fromisoformat(parts[2])
    except ValueError:
        raise NotFound(f"{raw!r} is not an Observation id (STATION:parameter:time)") from None
    if time.tzinfo is None:
        raise NotFound(f"{raw!r}: the time of an Observation id carries its offset (Z)")
    return {"station": parts[0], "parameter": parts[1], "time": time}


ENTITY_SETS: dict[str, EntitySet] = {
    entity_set.name: entity_set
    for entity_set in (
        EntitySet(
            "Things",
            _things,
            {
                "id": ("id", "text"),
                "name": ("name", "text"),
                "description": ("description", "text"),
                "properties/kind": ("kind", "text"),
                "properties/river": ("river", "text"),
                "properties/city": ("city", "text"),
                "properties/county": ("county", "text"),
                "properties/operator": ("operator", "text"),
                "properties/monitorsSection": ("monitors_section", "text"),
                "properties/controlLevel": ("control_level", "text"),
                "properties/targetClass": ("target_class", "number"),
            },
            ("id",),
            _text_id,
            {
                "Datastreams": Navigation("Datastreams", False, lambda row: {"station": row["id"]}),
                "Locations": Navigation("Locations", False, lambda row: {"id": row["id"]}),
            },
        ),
        EntitySet(
            "Locations",
            _locations,
            {"id": ("id", "text"), "name": ("name", "text"), "description": ("description", "text")},
            ("id",),
            _text_id,
            {"Things": Navigation("Things", False, lambda row: {"id": row["id"]})},
        ),
        EntitySet(
            "Sensors",
            _sensors,
            {"id": ("id", "text"), "name": ("name", "text")},
            ("id",),
            _text_id,
            {"Datastreams": Navigation("Datastreams", False, lambda row: {"station": row["id"]})},
        ),
        EntitySet(
            "ObservedProperties",
            _observed_properties,
            {"id": ("id", "text"), "name": ("name", "text")},
            ("id",),
            _text_id,
            {"Datastreams": Navigation("Datastreams", False, lambda row: {"parameter": row["id"]})},
        ),
        EntitySet(
            "Datastreams",
            _datastreams,
            {
                "id": ("id", "text"),
                "name": ("name", "text"),
                "Thing/id": ("station", "text"),
                "Thing/name": ("station_name", "text"),
                "Sensor/id": ("station", "text"),
                "ObservedProperty/id": ("parameter", "text"),
                "ObservedProperty/name": ("parameter_name", "text"),
                "unitOfMeasurement/symbol": ("unit", "text"),
            },
            ("station", "parameter"),
            _datastream_id,
            {
                "Thing": Navigation("Things", True, lambda row: {"id": row["station"]}),
                "Sensor": Navigation("Sensors", True, lambda row: {"id": row["station"]}),
                "ObservedProperty": Navigation("ObservedProperties", True, lambda row: {"id": row["parameter"]}),
                "Observations": Navigation(
                    "Observations", False, lambda row: {"station": row["station"], "parameter": row["parameter"]}
                ),
            },
        ),
        EntitySet(
            "Observations",
            _observations,
            {
                "phenomenonTime": ("time", "time"),
                "resultTime": ("time", "time"),
                "result": ("value", "number"),
                "resultQuality/hj212Flag": ("flag", "text"),
                "parameters/source": ("source", "text"),
                "Datastream/id": ("datastream", "text"),
                "Datastream/Thing/id": ("station", "text"),
                "Datastream/ObservedProperty/id": ("parameter", "text"),
            },
            ("station", "parameter", "time"),
            _observation_id,
            {
                "Datastream": Navigation(
                    "Datastreams", True, lambda row: {"station": row["station"], "parameter": row["parameter"]}
                )
            },
        ),
    )
}


def _path(node: ast._Node) -> str | None:
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.owner
    if not isinstance(node, ast.Identifier) or node.namespace:
        return None
    return "/".join([node.name, *reversed(names)])


def _time(literal_node: ast._Node, path: str) -> datetime:
    if not isinstance(literal_node, ast.DateTime):
        raise QueryError(f"{path} compares with a date-time such as 2026-01-01T00:00:00+08:00")
    try:
        moment = datetime.fromisoformat(literal_node.val)
    except ValueError:
        moment = None
    if moment is not None and moment.tzinfo is None:
        raise QueryError(f"{path}: give the date-time's offset (Z or +08:00)")
    try:
        if moment is not None:
            return moment.astimezone(UTC)
    except OverflowError:
        pass
    raise QueryError(f"{path}: {literal_node.val[:40]!r} is not a date-time from year 1 to 9999")


def _number(literal_node: ast._Node, path: str) -> float:
    if not isinstance(literal_node, ast.Integer | ast.Float) or not NUMBER.match(literal_node.val):
        raise QueryError(f"{path} compares with a number such as 0.5 (ASCII digits)")
    try:
        number = Decimal(literal_node.val)
    except InvalidOperation:
        raise QueryError(f"{path}: {literal_node.val[:40]!r} is not a number") from None
    if not number.is_finite() or abs(number) > MAX_NUMBER:
        raise QueryError(f"{path}: numbers are limited to ±10^15")
    return float(number)


def _text(literal_node: ast._Node, path: str) -> str:
    if not isinstance(literal_node, ast.String):
        raise QueryError(f"{path} compares with a string in single quotes")
    if len(literal_node.val) > MAX_TEXT or CONTROL.search(literal_node.val):
        raise QueryError(f"{path}: strings are at most {MAX_TEXT} printable characters")
    return literal_node.val


CONVERTERS: Mapping[PropertyType, Callable[[ast._Node, str], Any]] = {
    "time": _time,
    "number": _number,
    "text": _text,
}


class Translation:
    """A $filter expression as a SQL condition on an entity set's columns."""

    def __init__(self, entity_set: EntitySet, columns: Any) -> None:
        self.entity_set = entity_set
        self.columns = columns

    def property(self, node: ast._Node) -> tuple[str, Any, PropertyType]:
        if isinstance(node, ast.Call):
            raise QueryError(f"$filter function {node.func.name[:40]!r} is not served")
        if isinstance(node, ast.BinOp):
            raise QueryError("$filter arithmetic is not served")
        path = _path(node)
        if path is None or path not in self.entity_set.properties:
            served = ", ".join(self.entity_set.properties)
            shown = path if path is not None else type(node).__name__
            raise QueryError(f"{self.entity_set.name} cannot be filtered by {shown!r}; served: {served}")
        column, kind = self.entity_set.properties[path]
        return path, self.columns[column], kind

    def compare(self, node: ast.Compare) -> ColumnElement[bool]:
        comparator, left, right = node.comparator, node.left, node.right
        if isinstance(left, ast._Literal) and not isinstance(right, ast._Literal):
            comparator, left, right = MIRRORED.get(type(comparator), comparator), right, left
        path, column, kind = self.property(left)
        if isinstance(comparator, ast.In):
            if kind != "text" or not isinstance(right, ast.List) or not right.val:
                raise QueryError(f"{path} in (...): 'in' takes a list of strings for text properties")
            return column.in_([_text(item, path) for item in right.val])  # type: ignore[no-any-return]
        if isinstance(right, ast.Null):
            raise QueryError(f"{path}: comparisons with null are not served")
        return COMPARATORS[type(comparator)](column, CONVERTERS[kind](right, path))

    def condition(self, node: ast._Node) -> ColumnElement[bool]:
        # recursion is bounded: query.parse_filter refuses expressions deeper than MAX_FILTER_DEPTH
        if isinstance(node, ast.BoolOp):
            combine = and_ if isinstance(node.op, ast.And) else or_
            return combine(self.condition(node.left), self.condition(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not_(self.condition(node.operand))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Call):
            raise QueryError(f"$filter function {node.func.name[:40]!r} is not served")
        if isinstance(node, ast.BinOp | ast.UnaryOp):
            raise QueryError("$filter arithmetic is not served")
        raise QueryError("$filter must be a condition: comparisons joined by and, or, not")


@dataclass(frozen=True, slots=True)
class Page:
    rows: Sequence[RowMapping]
    more: bool  # rows beyond this page exist
    count: int | None


class EntityQuery:
    """One request's SQL over one entity set: scope, the path's conditions, $filter, $orderby and paging."""

    def __init__(self, entity_set: EntitySet, scope: Scope, equals: Mapping[str, Any] | None = None) -> None:
        self.entity_set = entity_set
        self.rows: Subquery = entity_set.base(scope).subquery("e")
        self.conditions: list[ColumnElement[bool]] = [
            self.rows.c[name] == value for name, value in (equals or {}).items()
        ]

    def filtered(self, options: QueryOptions) -> Select[Any]:
        condition = Translation(self.entity_set, self.rows.c).condition(options.filter) if options.filter else true()
        return select(self.rows).where(*self.conditions, condition)

    def order(self, options: QueryOptions) -> list[Any]:
        order = []
        for path, descending in options.orderby:
            if path not in self.entity_set.properties:
                served = ", ".join(self.entity_set.properties)
                raise QueryError(f"{self.entity_set.name} cannot be ordered by {path!r}; served: {served}")
            column = self.rows.c[self.entity_set.properties[path][0]]
            order.append(column.desc() if descending else column.asc())
        return order + [self.rows.c[name].asc() for name in self.entity_set.key]

    def page(self, connection: Connection, options: QueryOptions, top: int) -> Page:
        query = self.filtered(options)
        rows = (
            connection.execute(query.order_by(*self.order(options)).limit(top + 1).offset(options.skip))
            .mappings()
            .all()
        )
        count = None
        if options.count:
            count = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        return Page(rows[:top], 0 < top < len(rows), count)  # $top=0 asks for the count alone: no next page

    def one(self, connection: Connection, raw_id: str) -> RowMapping:
        equals = self.entity_set.parse_id(raw_id)
        row = (
            connection.execute(
                select(self.rows).where(*self.conditions, *(self.rows.c[k] == v for k, v in equals.items()))
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(f"no {self.entity_set.name} {raw_id!r}")
        return row
