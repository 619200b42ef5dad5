"""The parties (``registry/parties.yaml``): the one list of codes that station operators, broker
accounts, compensation agreements and principals name."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

REGISTRY_DIR = Path(__file__).parent / "registry"
PARTY_CODE = r"^[a-z][a-z0-9-]{1,31}$"


class Party(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=PARTY_CODE)
    name: str = Field(min_length=1, max_length=64)
    city: str = Field(min_length=1, max_length=64)
    level: Literal["province", "city", "district"]


class PartyRegistry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    parties: tuple[Party, ...]

    @model_validator(mode="after")
    def _unique(self) -> PartyRegistry:
        codes = [p.code for p in self.parties]
        if len(set(codes)) != len(codes):
            raise ValueError("party codes must be unique")
        return self

    def get(self, code: str) -> Party | None:
        return next((p for p in self.parties if p.code == code), None)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(p.code for p in self.parties)


def read_parties(directory: Path = REGISTRY_DIR) -> PartyRegistry:
    with (directory / "parties.yaml").open(encoding="utf-8") as handle:
        return PartyRegistry.model_validate(yaml.safe_load(handle))


@cache
def registry_parties() -> PartyRegistry:
    """The shipped registry's parties (read once): what agreements and principals are checked against."""
    return read_parties()


def unknown_parties(codes: frozenset[str] | set[str] | list[str]) -> list[str]:
    """The codes in ``codes`` that the shipped registry does not know, sorted."""
    return sorted(set(codes) - registry_parties().codes)


def _registered(code: str) -> str:
    if code not in registry_parties().codes:
        raise ValueError(f"unknown party {code!r} (see parties.yaml)")
    return code


PartyCode = Annotated[str, StringConstraints(pattern=PARTY_CODE), AfterValidator(_registered)]
"""A party code the registry knows, for API and file inputs."""
