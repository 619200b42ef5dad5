"""生态补偿 Eco-compensation (envmon-compensation): statements per agreement and amounts by period."""

from __future__ import annotations

from grafana_foundation_sdk.builders import barchart, table
from grafana_foundation_sdk.models.dashboard import Dashboard

from services.grafana.panels import envmon_board, field_config, with_queries
from services.grafana.sql import Sql

UID = "envmon-compensation"
YUAN = "currencyCNY"

# Positive amounts: downstream pays upstream (services/compensation/engine.py); latest revision per period.
LATEST_STATEMENTS = """
select distinct on (agreement_id, period)
  agreement_id as agreement, period, revision, status, amount,
  case when amount > 0 then '下游补偿上游 downstream pays upstream'
       when amount < 0 then '上游补偿下游 upstream pays downstream'
       when amount = 0 then '无 none' else '数据不足 insufficient data' end as direction,
  created_at
from compensation_statements
order by agreement_id, period, revision desc
"""


def build() -> Dashboard:
    return (
        envmon_board(UID, "生态补偿 Eco-compensation", time_from="now-2y")
        .with_panel(
            with_queries(
                table.Panel().id(1).title("补偿结算单 Statements per agreement (latest revision)").span(24).height(8),
                Sql(
                    LATEST_STATEMENTS,
                    ("agreement", "period", "revision", "status", "amount", "direction", "created_at"),
                    tables=("compensation_statements",),
                ),
            ).override_by_name("amount", [field_config("unit", YUAN)])
        )
        .with_panel(
            with_queries(
                barchart.Panel()
                .id(2)
                .title("补偿金额 Amount by period (positive: downstream pays upstream)")
                .span(24)
                .height(8)
                .unit(YUAN),
                Sql(
                    f"select period, agreement, amount from ({LATEST_STATEMENTS}) latest order by period",
                    ("period", "agreement", "amount"),
                    tables=("compensation_statements",),
                ),
            )
        )
        .build()
    )
