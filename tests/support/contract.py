"""Contract fuzzing: schemathesis against a running app's real OpenAPI, on the real database.

Every service's contract test uses this module (CONTRACTS.md, "Contract tests"). It loads the
OpenAPI document the app itself serves, generates requests for every operation (the schema's
examples, schemathesis' boundary "coverage" cases, then random valid and invalid requests, at most
``max_examples`` per operation and generation mode) and fails when:

- any response is a 5xx (``not_a_server_error``);
- a response's status code, content type or body is not the one its operation documents
  (``status_code_conformance``, ``content_type_conformance``, ``response_schema_conformance``);
- a request that violates the schema is answered with a 2xx (``negative_data_rejection``);
- the app raises instead of answering (in-process, an unhandled exception reaches the harness as an
  error where a server would answer 500);
- an edge value answers a 5xx (``edge_values``): random generation seldom produces the values that
  break a service, so every query and path parameter and every top-level field of a JSON body's
  example is also sent, one at a time, each of ``EDGE_VALUES`` (NUL and other control characters,
  non-ASCII digits, integers beyond bigint, years 1 and 9999 with extreme offsets), the other
  parameters keeping their documented examples (``edge_values=`` narrows the set where a service's
  budget needs it: every value costs one request per parameter).

The run is seeded (``CONTRACT_SEED``, or ``ENVMON_CONTRACT_SEED`` to explore other cases), so a
failure in CI reproduces on a developer's machine; the assertion lists every failing check with a
``curl`` command that reproduces it.

How a service's test uses it, in-process (the app's ASGI interface; its database is the real one
the app was built with)::

    from tests.support.contract import assert_contract, asgi_contract

    def test_the_api_keeps_its_contract(alerts_db: Engine) -> None:
        assert_contract(asgi_contract(create_app(...)))

or against a server running in another process (e.g. a service started with ``python -m
services.cli …``)::

    assert_contract(url_contract(f"http://127.0.0.1:{port}", headers={"Authorization": "Bearer …"}))

``untyped_successes(app.openapi())`` lists the 2xx answers that have no response schema (there should be
none). Seed the database first so that operations find something (a 404 everywhere proves little), and
keep ``max_examples`` small: the whole suite has a time budget. Operations that must not be
fuzzed (e.g. one that waits 30 s for a device) are left out with ``exclude`` (an operation label
such as ``"POST /loggers/{mn}/history"``); say in the test why.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import schemathesis
import schemathesis.transport.requests as schemathesis_requests
from schemathesis.core.result import Ok
from schemathesis.engine import events
from schemathesis.engine.recorder import CheckNode, ScenarioRecorder

# The checks of the contract; every other schemathesis check is off.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
# Generated requests per operation and generation mode (valid, invalid), besides the schema's examples
# and the boundary cases; small enough for the suite's time budget.
MAX_EXAMPLES = 25
CONTRACT_SEED = 20260301
SEED_VARIABLE = "ENVMON_CONTRACT_SEED"
PHASES = ("examples", "coverage", "fuzzing")
# Values that make a database, a parser or a date conversion raise when nothing stops them at the edge.
EDGE_VALUES = (
    "A\x00B",
    "\x1b",
    "٢٠٢٦-١١",
    "３３０６",
    "9" * 40,
    "-9223372036854775809",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31",
)


_count_opened_connections = schemathesis_requests._count_opened_connections


def _count_tolerating_urllib3_future(session: Any) -> int:
    """Schemathesis counts pooled connections (to resend a request once on a dropped keep-alive
    connection) through urllib3's ``PoolManager.pools.keys()``. grafana-client depends on niquests,
    whose urllib3-future shadows urllib3 in the same environment, and its pool container has no
    ``keys()``: count nothing then (a dropped connection is resent once, as before)."""
    try:
        return _count_opened_connections(session)
    except AttributeError:
        return 0


schemathesis_requests._count_opened_connections = _count_tolerating_urllib3_future


def contract_config(*, max_examples: int = MAX_EXAMPLES, seed: int | None = None) -> schemathesis.Config:
    """The schemathesis configuration of a contract run (checks, phases, bounded examples, seed)."""
    return schemathesis.Config.from_dict(
        {
            "seed": seed if seed is not None else int(os.environ.get(SEED_VARIABLE, CONTRACT_SEED)),
            # No cache of earlier runs' findings: a run depends on its seed alone (and writes nothing in the tree).
            "cache": {"enabled": False},
            "generation": {"max-examples": max_examples, "mode": "all"},
            "phases": {name: {"enabled": name in PHASES} for name in ("examples", "coverage", "fuzzing", "stateful")},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


def asgi_contract(
    app: Any, *, max_examples: int = MAX_EXAMPLES, exclude: Iterable[str] = ()
) -> schemathesis.BaseSchema:
    """The contract of an ASGI app (e.g. FastAPI), called in-process, read from its ``/openapi.json``."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=contract_config(max_examples=max_examples))
    return _without(schema, exclude)


def url_contract(
    base_url: str,
    *,
    max_examples: int = MAX_EXAMPLES,
    exclude: Iterable[str] = (),
    headers: Mapping[str, str] | None = None,
) -> schemathesis.BaseSchema:
    """The contract of a server listening at ``base_url``, read from its ``/openapi.json``."""
    config = contract_config(max_examples=max_examples)
    if headers:
        config.projects.override.update(headers=dict(headers))
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config, headers=dict(headers or {}))
    schema.config.update(base_url=base_url)
    return _without(schema, exclude)


def _without(schema: schemathesis.BaseSchema, labels: Iterable[str]) -> schemathesis.BaseSchema:
    excluded = set(labels)
    if not excluded:
        return schema
    return schema.exclude(func=lambda ctx: ctx.operation.label in excluded)


@dataclass(frozen=True, slots=True)
class ContractFailure:
    operation: str
    check: str
    message: str
    curl: str

    def __str__(self) -> str:
        return f"{self.operation}: {self.check}: {self.message}\n    {self.curl}"


@dataclass(frozen=True, slots=True)
class ContractRun:
    operations: frozenset[str]
    cases: int
    failures: tuple[ContractFailure, ...]
    errors: tuple[str, ...]


def run_contract(schema: schemathesis.BaseSchema, *, edge_values: Sequence[str] = EDGE_VALUES) -> ContractRun:
    """Run every configured phase over every operation, then the edge values; what failed, without raising."""
    failures: dict[tuple[str, str, str], ContractFailure] = {}
    errors: list[str] = []
    operations: set[str] = set()
    cases = 0
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            operations.add(event.recorder.label)
            cases += len(event.recorder.cases)
            for failure in _failures(event.recorder):
                failures.setdefault((failure.operation, failure.check, failure.message), failure)
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {_last_lines(event.info.format())}")
        elif isinstance(event, events.FatalError):
            errors.append(f"fatal: {event.exception!r}")
    for failure in edge_failures(schema, errors, edge_values):
        failures.setdefault((failure.operation, failure.check, failure.message), failure)
    return ContractRun(frozenset(operations), cases, tuple(failures.values()), tuple(errors))


def edge_failures(
    schema: schemathesis.BaseSchema, errors: list[str], edge_values: Sequence[str] = EDGE_VALUES
) -> Iterable[ContractFailure]:
    """Each operation called with one parameter (or body field) at a time set to each of ``EDGE_VALUES``;
    a 5xx is a failure, an exception raised in-process is added to ``errors``."""
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            errors.append(f"invalid operation: {result.err()}")
            continue
        operation = result.ok()
        parameters = _parameters(schema.raw_schema, operation.path, operation.method)
        base = {
            location: {p["name"]: _example(schema.raw_schema, p) for p in found}
            for location, found in parameters.items()
        }
        body = _body_example(schema.raw_schema, operation.path, operation.method)
        variants: list[tuple[str, dict[str, Any], Any]] = [
            (f"{location} {name}", {**base, location: {**base[location], name: value}}, body)
            for location, named in base.items()
            for name in named
            for value in edge_values
        ]
        if isinstance(body, dict):
            variants += [(f"body {key}", base, {**body, key: value}) for key in body for value in edge_values]
        for where, values, payload in variants:
            case = operation.Case(
                path_parameters=values.get("path") or None,
                query=values.get("query") or None,
                body=payload if payload is not None else schemathesis.core.NOT_SET,
                media_type="application/json" if payload is not None else None,
            )
            try:
                response = case.call(headers=schema.config.headers_for(operation=operation) or None)
            except Exception as error:
                errors.append(f"{operation.label}: {where}: {error!r}\n    {case.as_curl_command()}")
                continue
            if response.status_code >= 500:
                message = f"{where} answered {response.status_code}"
                yield ContractFailure(operation.label, "edge_values", message, case.as_curl_command())


def _parameters(raw: Mapping[str, Any], path: str, method: str) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = {"path": [], "query": []}
    for parameter in raw["paths"][path][method.lower()].get("parameters", []):
        parameter = _resolve(raw, parameter)
        if parameter["in"] in found:
            found[parameter["in"]].append(parameter)
    return found


def _resolve(raw: Mapping[str, Any], node: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        target: Any = raw
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _example(raw: Mapping[str, Any], parameter: Mapping[str, Any]) -> Any:
    """A documented, else plausible, value of a parameter: its example, first enum value, default or minimum."""
    schema = _resolve(raw, parameter.get("schema", {}))
    for choice in schema.get("anyOf", []):
        if choice.get("type") != "null":
            schema = {**_resolve(raw, choice), **{k: v for k, v in schema.items() if k != "anyOf"}}
            break
    for source in (parameter, schema):
        if source.get("examples"):
            examples = source["examples"]
            return examples[0] if isinstance(examples, list) else next(iter(examples.values()))["value"]
        if "example" in source:
            return source["example"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("default") is not None:
        return schema["default"]
    if schema.get("type") in ("integer", "number"):
        return schema.get("minimum", 1)
    return False if schema.get("type") == "boolean" else "A"


def _body_example(raw: Mapping[str, Any], path: str, method: str) -> Any:
    body = raw["paths"][path][method.lower()].get("requestBody")
    if body is None:
        return None
    media = _resolve(raw, body).get("content", {}).get("application/json")
    if media is None:
        return None
    schema = _resolve(raw, media.get("schema", {}))
    examples = media.get("examples") or schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    return media.get("example", schema.get("example", {}))


def _last_lines(text: str, count: int = 12) -> str:
    """An error's message and the end of its traceback, where the app raised."""
    lines = text.strip().splitlines()
    return "\n".join(lines if len(lines) <= 2 * count else [*lines[:3], "    …", *lines[-count:]])


def _failures(recorder: ScenarioRecorder) -> Iterable[ContractFailure]:
    for nodes in recorder.checks.values():
        for node in nodes:
            if node.failure_info is not None:
                yield _failure(recorder.label, node)


def _failure(operation: str, node: CheckNode) -> ContractFailure:
    assert node.failure_info is not None
    failure = node.failure_info.failure
    message = failure.title if not failure.message else f"{failure.title}: {failure.message}"
    return ContractFailure(operation, node.name, " ".join(message.split())[:600], node.failure_info.code_sample)


def untyped_successes(openapi: Mapping[str, Any]) -> list[str]:
    """Every 2xx in an OpenAPI document without a response schema that says what comes back
    (``"GET /x 200"``): no content, ``{}``, a bare title, an object of anything. There should be none."""
    return [
        f"{method.upper()} {path} {status}"
        for path, operations in openapi["paths"].items()
        for method, operation in operations.items()
        for status, response in operation["responses"].items()
        if status.startswith("2")
        and (
            not response.get("content")
            or not all(_typed(media.get("schema", {})) for media in response["content"].values())
        )
    ]


def _typed(schema: Mapping[str, Any]) -> bool:
    if {"$ref", "anyOf", "oneOf", "allOf"} & schema.keys():
        return True
    if schema.get("type") == "object":
        return bool(schema.get("properties")) or isinstance(schema.get("additionalProperties"), dict)
    if schema.get("type") == "array":
        return _typed(schema.get("items", {}))
    return "type" in schema


def assert_contract(
    schema: schemathesis.BaseSchema,
    *,
    expected_operations: int | None = None,
    edge_values: Sequence[str] = EDGE_VALUES,
) -> ContractRun:
    """Run the contract and fail with every failing check (and a ``curl`` reproducing it), if any.

    ``expected_operations`` guards against a run that silently tested fewer operations than the app has.
    """
    run = run_contract(schema, edge_values=edge_values)
    problems = [*map(str, run.failures), *run.errors]
    assert not problems, f"{len(problems)} contract violation(s):\n" + "\n".join(problems)
    if expected_operations is not None:
        assert len(run.operations) == expected_operations, sorted(run.operations)
    return run
