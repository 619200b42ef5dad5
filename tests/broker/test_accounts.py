"""The generated ACL keeps a partner's gateways to the partner's stations."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from services.broker.accounts import acl_file, load_accounts

pytestmark = pytest.mark.integration


def _blocks(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as connection:
        text = acl_file(load_accounts(connection))
    return {block.splitlines()[0]: block.splitlines()[1:] for block in text.split("\n\n")[1:]}


def test_a_xiaoshan_gateway_may_write_only_its_own_stations_topics(engine: Engine) -> None:
    rules = _blocks(engine)["user gw-xs-yangxun"]
    assert rules == [
        "topic write envmon/v1/XXJ-YANGXUN-XS/water",
        "topic write envmon/v1/XXJ-YANGXUN-XS/hj212",
        "topic read envmon/v1/XXJ-YANGXUN-XS/rejects",
        "topic read envmon/v1/XXJ-YANGXUN-XS/hj212/reply",
    ]
    assert not any(
        "XXJ-YANGXUN-XS" in rule for user, lines in _blocks(engine).items() if "gw-xs-" not in user for rule in lines
    )
