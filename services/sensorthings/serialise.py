"""Rows as SensorThings 1.1 JSON entities: ``@iot.id``, ``@iot.selfLink``, navigation links and each set's fields.

Observations carry the HJ 212 data flag (HJ 212-2017 Table 4 / 表 4 数据标记) in ``resultQuality`` together
with ``valid``, the validity every KPI applies (only flag N counts), so a partner computes the same means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import RowMapping

from services.sensorthings.query import QueryError
from services.sensorthings.sql import ENTITY_SETS, observation_id
from services.standards.hj212.codes import DATA_FLAGS

VALID_FLAG = "N"
OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
GEOJSON = "application/geo+json"


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def entity_id(set_name: str, row: RowMapping) -> str:
    if set_name == "Observations":
        return observation_id(row["station"], row["parameter"], row["time"])
    return str(row["id"])


def quoted(raw_id: str) -> str:
    return "'" + raw_id.replace("'", "''") + "'"


def _thing(row: RowMapping) -> dict[str, Any]:
    return {
        "name": row["name"],
        "description": row["description"],
        "properties": {
            "kind": row["kind"],
            "river": row["river"],
            "basin": row["basin"],
            "city": row["city"],
            "county": row["county"],
            "controlLevel": row["control_level"],
            "targetClass": row["target_class"],
            "operator": row["operator"],
            "operatorName": row["operator_name"],
            "monitorsSection": row["monitors_section"],
            "illustrative": row["illustrative"],
        },
    }


def _location(row: RowMapping) -> dict[str, Any]:
    return {
        "name": row["name"],
        "description": row["description"],
        "encodingType": GEOJSON,
        "location": {"type": "Point", "coordinates": [_number(row["longitude"]), _number(row["latitude"])]},
    }


def _sensor(row: RowMapping) -> dict[str, Any]:
    return {
        "name": row["name"],
        "description": f"{row['station_name']}的自动监测仪器 ({row['kind']})",
        "encodingType": "text/plain",
        "metadata": f"station {row['id']}",
    }


def _observed_property(row: RowMapping) -> dict[str, Any]:
    return {
        "name": row["name"],
        "definition": f"urn:envmon:parameter:{row['id']}",
        "description": f"{row['name_en']} ({row['unit']})",
        "properties": {"nameEn": row["name_en"], "unit": row["unit"], "kind": row["kind"]},
    }


def _datastream(row: RowMapping) -> dict[str, Any]:
    return {
        "name": row["name"],
        "description": f"{row['station_name']} {row['parameter_name']} ({row['parameter_name_en']})",
        "observationType": OM_MEASUREMENT,
        "unitOfMeasurement": {
            "name": row["unit"],
            "symbol": row["unit"],
            "definition": f"urn:envmon:unit:{row['unit']}",
        },
        "properties": {"station": row["station"], "parameter": row["parameter"], "programmeSince": str(row["since"])},
    }


def _observation(row: RowMapping) -> dict[str, Any]:
    flag = row["flag"]
    return {
        "phenomenonTime": iso(row["time"]),
        "resultTime": iso(row["time"]),
        "result": row["value"],
        "resultQuality": {"hj212Flag": flag, "valid": flag == VALID_FLAG},
        "parameters": {
            "source": row["source"],
            "flagMeaning": DATA_FLAGS.get(flag, flag),
            "receivedAt": iso(row["received_at"]),
        },
    }


FIELDS: Mapping[str, Callable[[RowMapping], dict[str, Any]]] = {
    "Things": _thing,
    "Locations": _location,
    "Sensors": _sensor,
    "ObservedProperties": _observed_property,
    "Datastreams": _datastream,
    "Observations": _observation,
}


def entity(root: str, set_name: str, row: RowMapping) -> dict[str, Any]:
    """The entity with its id, self link, fields and one navigation link per relation."""
    self_link = f"{root}/{set_name}({quoted(entity_id(set_name, row))})"
    document: dict[str, Any] = {"@iot.id": entity_id(set_name, row), "@iot.selfLink": self_link}
    document.update(FIELDS[set_name](row))
    for name in ENTITY_SETS[set_name].navigations:
        document[f"{name}@iot.navigationLink"] = f"{self_link}/{name}"
    return document


SELECTABLE: Mapping[str, frozenset[str]] = {
    "Things": frozenset({"name", "description", "properties"}),
    "Locations": frozenset({"name", "description", "encodingType", "location"}),
    "Sensors": frozenset({"name", "description", "encodingType", "metadata"}),
    "ObservedProperties": frozenset({"name", "definition", "description", "properties"}),
    "Datastreams": frozenset({"name", "description", "observationType", "unitOfMeasurement", "properties"}),
    "Observations": frozenset({"phenomenonTime", "resultTime", "result", "resultQuality", "parameters"}),
}


def check_select(set_name: str, names: tuple[str, ...]) -> None:
    allowed = SELECTABLE[set_name] | set(ENTITY_SETS[set_name].navigations) | {"id", "@iot.id", "@iot.selfLink"}
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise QueryError(
            f"$select: {set_name} has no property {unknown[0][:40]!r}; served: {', '.join(sorted(allowed))}"
        )


def selected(document: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Only the properties named in $select (``id`` is ``@iot.id``, a relation keeps its navigation link)."""
    if not names:
        return document
    keys = {"@iot.id" if name in ("id", "@iot.id") else name for name in names}
    return {key: value for key, value in document.items() if key.split("@iot.navigationLink")[0] in keys}
