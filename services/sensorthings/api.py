"""The SensorThings 1.1 HTTP routes (read-only): the service root, collections, entities and relations.

Every refusal is ``{"code", "type": "error", "message"}`` (the form FROST-Server answers with): 400 for a
query the service cannot answer as asked, 401 without a valid key, 404 for an entity outside the key's
scope or unknown (the two are not told apart).
"""

# no "from __future__ import annotations": FastAPI resolves these Annotated aliases at run time

from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, Engine
from starlette.exceptions import HTTPException

from services.common.openapi import METRICS_RESPONSES
from services.common.request_metrics import instrument
from services.sensorthings.auth import KeyScope, Unauthorised
from services.sensorthings.keys import Scope
from services.sensorthings.query import MAX_FILTER_LENGTH, QueryError, QueryOptions, parse_options
from services.sensorthings.serialise import check_select, entity, selected
from services.sensorthings.settings import SensorThingsSettings
from services.sensorthings.sql import ENTITY_SETS, EntityQuery, NotFound

VERSION = "v1.1"
EXPAND_TOP = 100  # rows of an expanded collection; more are behind its nextLink
MAX_EXPANDED_PAGE = 100  # with $expand, a page holds at most this many entities
CONFORMANCE = [
    "http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel",
    "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data",
]
ID_PATTERN = r"^('[^'\x00-\x1f]{1,200}'|[A-Za-z0-9][A-Za-z0-9:._+-]{0,199})$"


class EntitySetName(StrEnum):
    THINGS = "Things"
    LOCATIONS = "Locations"
    SENSORS = "Sensors"
    OBSERVED_PROPERTIES = "ObservedProperties"
    DATASTREAMS = "Datastreams"
    OBSERVATIONS = "Observations"


class Refusal(BaseModel):
    code: int = Field(examples=[400])
    type: str = Field(default="error", examples=["error"])
    message: str = Field(examples=["Observations cannot be filtered by 'foo'; served: phenomenonTime, …"])


class Entity(BaseModel):
    """A SensorThings entity: its id and self link (unless $select leaves them out), then the fields of its
    entity set, ``{relation}@iot.navigationLink`` links and any expanded relations."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str | None = Field(default=None, alias="@iot.id", examples=["XXJ-YANGXUN-XS"])
    self_link: str | None = Field(default=None, alias="@iot.selfLink", examples=["…/v1.1/Things('XXJ-YANGXUN-XS')"])


class Collection(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    count: int | None = Field(default=None, alias="@iot.count", description="with $count=true")
    next_link: str | None = Field(default=None, alias="@iot.nextLink", description="the next page, when there is one")
    value: list[Entity]


class ServiceLink(BaseModel):
    name: str
    url: str


class ServerSettings(BaseModel):
    conformance: list[str]


class ServiceRoot(BaseModel):
    value: list[ServiceLink]
    server_settings: ServerSettings = Field(alias="serverSettings")


REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": Refusal, "description": "a query option or path the service cannot answer; the message says which"},
    401: {"model": Refusal, "description": "no API key, or an unknown or disabled one"},
    404: {"model": Refusal, "description": "no such entity within the key's scope"},
}


def _root(request: Request) -> str:
    settings: SensorThingsSettings = request.app.state.settings
    base = settings.sensorthings_public_url or str(request.base_url)
    return base.rstrip("/") + "/" + VERSION


def _options(
    request: Request,
    _filter: Annotated[
        str | None,
        Query(alias="$filter", max_length=MAX_FILTER_LENGTH, examples=["phenomenonTime ge 2026-11-01T00:00:00+08:00"]),
    ] = None,
    _orderby: Annotated[str | None, Query(alias="$orderby", max_length=500, examples=["phenomenonTime desc"])] = None,
    _top: Annotated[int | None, Query(alias="$top", ge=0, examples=[100])] = None,
    _skip: Annotated[int | None, Query(alias="$skip", ge=0, examples=[0])] = None,
    _count: Annotated[bool | None, Query(alias="$count", examples=[True])] = None,
    _expand: Annotated[str | None, Query(alias="$expand", max_length=200, examples=["Datastreams"])] = None,
    _select: Annotated[str | None, Query(alias="$select", max_length=500, examples=["id,name"])] = None,
) -> QueryOptions:
    """The options as documented above; they are read again from the raw query string, so that a repeated or
    unknown $-option is refused rather than silently dropped."""
    settings: SensorThingsSettings = request.app.state.settings
    return parse_options(request.query_params.multi_items(), settings.sensorthings_max_top)


Options = Annotated[QueryOptions, Depends(_options)]


def _unquoted(raw_id: str) -> str:
    return raw_id[1:-1].replace("''", "'") if raw_id.startswith("'") and raw_id.endswith("'") else raw_id


class Answer:
    """One request: its connection, scope and options, and the links built from its root."""

    def __init__(self, request: Request, connection: Connection, scope: Scope, options: QueryOptions) -> None:
        self.request = request
        self.connection = connection
        self.scope = scope
        self.options = options
        self.root = _root(request)
        self.settings: SensorThingsSettings = request.app.state.settings

    def check(self, set_name: str) -> None:
        navigations = ENTITY_SETS[set_name].navigations
        for name in self.options.expand:
            if name not in navigations:
                raise QueryError(f"$expand: {set_name} has no relation {name!r}; served: {', '.join(navigations)}")
        check_select(set_name, self.options.select)

    def document(self, set_name: str, row: Any) -> dict[str, Any]:
        document = selected(entity(self.root, set_name, row), self.options.select)
        for name in self.options.expand:
            navigation = ENTITY_SETS[set_name].navigations[name]
            related = EntityQuery(ENTITY_SETS[navigation.target], self.scope, navigation.link(row))
            page = related.page(self.connection, QueryOptions(), EXPAND_TOP)
            documents = [entity(self.root, navigation.target, r) for r in page.rows]
            if navigation.single:
                document[name] = documents[0] if documents else None
                continue
            document[name] = documents
            if page.more:
                self_link = document.get("@iot.selfLink") or entity(self.root, set_name, row)["@iot.selfLink"]
                document[f"{name}@iot.nextLink"] = f"{self_link}/{name}?" + urlencode({"$skip": EXPAND_TOP})
        return document

    def collection(self, set_name: str, query: EntityQuery) -> Collection:
        self.check(set_name)
        top = self.options.top if self.options.top is not None else self.settings.sensorthings_default_top
        if self.options.expand and top > MAX_EXPANDED_PAGE:
            raise QueryError(f"with $expand, $top is at most {MAX_EXPANDED_PAGE}")
        page = query.page(self.connection, self.options, top)
        next_link = None
        if page.more:
            params = [(k, v) for k, v in self.request.query_params.multi_items() if k not in ("$skip", "$top")]
            params += [("$top", str(top)), ("$skip", str(self.options.skip + top))]
            next_link = self.root + self.request.url.path.split("/" + VERSION, 1)[1] + "?" + urlencode(params)
        links: dict[str, Any] = {"@iot.count": page.count, "@iot.nextLink": next_link}
        return Collection.model_validate(
            {
                **{key: value for key, value in links.items() if value is not None},
                "value": [self.document(set_name, row) for row in page.rows],
            }
        )

    def single(self, set_name: str, query: EntityQuery, raw_id: str) -> Entity:
        self.check(set_name)
        return Entity.model_validate(self.document(set_name, query.one(self.connection, raw_id)))


router = APIRouter(prefix=f"/{VERSION}", tags=["SensorThings"], responses=REFUSALS)
EntityId = Annotated[str, Path(pattern=ID_PATTERN, examples=["'XXJ-YANGXUN-XS'"])]


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


@router.get("", response_model_by_alias=True)
def service_root(request: Request) -> ServiceRoot:
    root = _root(request)
    return ServiceRoot(
        value=[ServiceLink(name=name, url=f"{root}/{name}") for name in EntitySetName],
        serverSettings=ServerSettings(conformance=CONFORMANCE),
    )


@router.get("/{entity_set}({entity_id})", response_model_by_alias=True, response_model_exclude_unset=True)
def one_entity(
    request: Request, scope: KeyScope, options: Options, entity_set: EntitySetName, entity_id: EntityId
) -> Entity:
    with _engine(request).connect() as connection:
        answer = Answer(request, connection, scope, options)
        return answer.single(entity_set.value, EntityQuery(ENTITY_SETS[entity_set.value], scope), _unquoted(entity_id))


@router.get(
    "/{entity_set}({entity_id})/{relation}",
    response_model_by_alias=True,
    response_model_exclude_unset=True,
)
def related(
    request: Request,
    scope: KeyScope,
    options: Options,
    entity_set: EntitySetName,
    entity_id: EntityId,
    relation: Annotated[str, Path(pattern=r"^[A-Za-z]{1,32}$", examples=["Datastreams"])],
) -> Collection | Entity:
    parent_set = ENTITY_SETS[entity_set.value]
    navigation = parent_set.navigations.get(relation)
    if navigation is None:
        raise QueryError(
            f"{entity_set.value} has no relation {relation!r}; served: {', '.join(parent_set.navigations)}"
        )
    with _engine(request).connect() as connection:
        parent = EntityQuery(parent_set, scope).one(connection, _unquoted(entity_id))
        answer = Answer(request, connection, scope, options)
        query = EntityQuery(ENTITY_SETS[navigation.target], scope, navigation.link(parent))
        if navigation.single:
            rows = query.page(connection, QueryOptions(), 1).rows
            if not rows:
                raise NotFound(f"{entity_set.value} {entity_id} has no {relation}")
            answer.check(navigation.target)
            return Entity.model_validate(answer.document(navigation.target, rows[0]))
        return answer.collection(navigation.target, query)


@router.get("/{entity_set}", response_model_by_alias=True, response_model_exclude_unset=True)
def collection(request: Request, scope: KeyScope, options: Options, entity_set: EntitySetName) -> Collection:
    with _engine(request).connect() as connection:
        answer = Answer(request, connection, scope, options)
        return answer.collection(entity_set.value, EntityQuery(ENTITY_SETS[entity_set.value], scope))


class Health(BaseModel):
    status: str = "ok"


def _refusal(status: int) -> Any:
    headers = {"WWW-Authenticate": 'Basic realm="envmon SensorThings"'} if status == 401 else None

    async def handler(_request: Request, error: Exception) -> JSONResponse:
        return JSONResponse(
            {"code": status, "type": "error", "message": str(error)}, status_code=status, headers=headers
        )

    return handler


async def _framework(_request: Request, error: Exception) -> JSONResponse:
    """The framework's own refusals (a malformed Authorization header, a write method) in the same form."""
    assert isinstance(error, HTTPException)
    body = {"code": error.status_code, "type": "error", "message": str(error.detail)}
    return JSONResponse(body, status_code=error.status_code, headers=getattr(error, "headers", None))


async def _invalid(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(part) for part in first["loc"][1:]) or "request"
    message = f"{where}: {first['msg']}"
    return JSONResponse({"code": 400, "type": "error", "message": message}, status_code=400)


def create_app(engine: Engine, settings: SensorThingsSettings) -> FastAPI:
    app = FastAPI(
        title="envmon SensorThings",
        version="1.1",
        description=(
            "A read-only OGC SensorThings API 1.1 for partner bureaus: the boundary sections and the stations each "
            "key's party may see. Times are UTC in ISO 8601 (Beijing time is UTC+08:00). See docs/partners.md."
        ),
    )
    app.state.engine = engine
    app.state.settings = settings
    app.add_exception_handler(QueryError, _refusal(400))
    app.add_exception_handler(Unauthorised, _refusal(401))
    app.add_exception_handler(NotFound, _refusal(404))
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _framework)
    app.include_router(router)
    # a registry per app (tests build several apps per process); unauthenticated, like /healthz
    registry = CollectorRegistry()
    request_seconds = Histogram(
        "envmon_sensorthings_request_seconds",
        "HTTP request latency, by route template, method and status code",
        ["route", "method", "status"],
        registry=registry,
    )
    instrument(app, request_seconds)

    @app.get("/healthz", tags=["system"])
    def healthz() -> Health:
        return Health()

    @app.get("/metrics", tags=["system"], response_class=Response, responses=METRICS_RESPONSES)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app
