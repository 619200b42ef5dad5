"""Joint and manual monitoring results: uploaded by a bureau (JSON, CSV, XLSX), validated, refused on conflict,
audited, and used by the statement as their tier."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, func, insert, select

from services.compensation import auth
from services.compensation.access import Role
from services.standards.local_time import BEIJING_TIME
from services.storage.schema import readings
from tests.support.compensation import LEVELS, PASSWORD, XXJ, Keys, as_, joint_year, upload

pytestmark = pytest.mark.integration


def stored_readings(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(readings)).scalar_one())


def test_joint_results_settle_a_statement_as_their_tier(client: TestClient, keys: Keys) -> None:
    first = upload(client, keys.bureau, joint_year())
    assert first.status_code == 201, first.text
    assert (first.json()["stored"], first.json()["unchanged"]) == (36, 0)
    again = upload(client, keys.bureau, joint_year())
    assert (again.status_code, again.json()["stored"], again.json()["unchanged"]) == (201, 0, 36)
    statement = client.post(f"/agreements/{XXJ}/statements", json={"period": "2025"}, headers=as_(keys.bureau)).json()
    assert statement["status"] == "draft" and statement["amount_yuan"] == "5000000.00"
    assert {tuple(row["sources"]) for row in statement["document"]["indicators"]} == {("joint-manual",)}
    page = client.get(f"/ui/statements/{statement['id']}", headers=as_(keys.viewer)).text
    assert "联合监测" in page
    listed = client.get("/monitoring/results?year=2025", headers=as_(keys.keqiao_viewer)).json()
    assert len(listed) == 36 and listed[0]["sampling_parties"] == ["keqiao", "xiaoshan"]
    entries = client.get("/audit", headers=as_(keys.admin)).json()
    assert any(e["action"] == "monitoring.upload" and e["actor"] == "bureau-sx" for e in entries)


def test_a_conflicting_result_refuses_the_whole_upload_with_its_reason(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    assert upload(client, keys.bureau, joint_year()).status_code == 201
    before = stored_readings(compensation_db)
    disputed = joint_year()
    disputed[4] = {**disputed[4], "value": "0.95"}  # February's NH3-N reads higher on the second sheet
    disputed.append({**disputed[0], "date": "2025-01-20"})  # and a new result that would be fine alone
    refused = upload(client, keys.bureau, disputed)
    assert refused.status_code == 422
    assert "conflicts with upload #" in refused.text and "XXJ-YANGXUN nh3n 2025-02-10" in refused.text
    assert stored_readings(compensation_db) == before


def test_a_result_at_the_instant_of_an_automatic_reading_is_refused(
    client: TestClient, keys: Keys, compensation_db: Engine
) -> None:
    with compensation_db.begin() as conn:
        conn.execute(
            insert(readings),
            [
                {
                    "time": datetime(2025, 3, 10, 8, tzinfo=BEIJING_TIME),
                    "station": "XXJ-YANGXUN",
                    "parameter": "tp",
                    "value": 0.2,
                    "flag": "N",
                    "source": "hj212",
                }
            ],
        )
    result = {**joint_year()[0], "date": "2025-03-10", "time": "08:00", "indicator": "tp"}
    refused = upload(client, keys.bureau, [result])
    assert refused.status_code == 422 and "hj212 reading exists at 08:00" in refused.text


TOMORROW = (date.today() + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sampling_parties": ["keqiao"]}, "at least two sampling parties"),
        ({"tier": "manual"}, "the one party that sampled"),
        ({"indicator": "pm25"}, "not a GB 3838-2002 water item"),
        ({"value": "-0.1"}, "value"),
        ({"value": "1e30"}, "value"),
        ({"value": "NaN"}, "value"),
        ({"indicator": "nh3n", "value": "600"}, "physical range"),
        ({"date": TOMORROW}, "in the future"),
        ({"date": "0001-01-01"}, "before 2000"),
        ({"time": "25:00"}, "time"),
        ({"section": "XXJ\u0000"}, "section"),
        ({"section": "NO-SUCH"}, "unknown water section"),
        ({"section": "PYJ-JINHUA"}, "not parties of an agreement"),
        ({"sampling_parties": ["xiaoshan", "keqiao", "keqiao"]}, "listed twice"),
        ({"laboratory": "实" * 101}, "laboratory"),
        ({"report_no": "a\u0007b"}, "report_no"),
    ],
)
def test_bad_results_are_refused_naming_the_field(
    client: TestClient, keys: Keys, compensation_db: Engine, change: dict[str, Any], field: str
) -> None:
    refused = upload(client, keys.bureau, [{**joint_year()[0], **change}])
    assert refused.status_code == 422 and field in refused.text, refused.text
    assert stored_readings(compensation_db) == 0


def test_only_a_bureau_in_scope_uploads(client: TestClient, keys: Keys, compensation_db: Engine) -> None:
    assert upload(client, keys.finance, joint_year()).status_code == 403
    assert upload(client, keys.viewer, joint_year()).status_code == 403
    with compensation_db.begin() as conn:
        keqiao_bureau = auth.create_api_key(conn, "bureau-keqiao", Role.BUREAU, ["keqiao"])
    refused = upload(
        client,
        keqiao_bureau,
        [*joint_year()[:1], {**joint_year()[1], "section": "PYJ-JINHUA", "sampling_parties": ["zhuji", "xiaoshan"]}],
    )
    assert refused.status_code == 422 and "PYJ-JINHUA is not a section of an agreement you may see" in refused.text
    assert upload(client, keqiao_bureau, joint_year()).status_code == 201


def test_csv_and_xlsx_files_with_chinese_headers(client: TestClient, keys: Keys) -> None:
    template = client.get("/monitoring/template.csv", headers=as_(keys.viewer)).content.decode("utf-8-sig")
    header = template.splitlines()[0]
    rows = [
        f"XXJ-YANGXUN,2025-{m:02d}-10,09:30,{code},{value},联合监测,xiaoshan;keqiao,示例实验室,R-{m}"
        for m in range(1, 7)
        for code, value in LEVELS.items()
    ]
    csv_file = ("\ufeff" + "\n".join([header, *rows]) + "\n").encode()
    sent = client.post(
        "/monitoring/uploads", files={"file": ("2025上半年.csv", csv_file, "text/csv")}, headers=as_(keys.bureau)
    )
    assert sent.status_code == 201 and sent.json()["stored"] == 18, sent.text
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header.split(","))
    for m in range(7, 13):
        for code, value in LEVELS.items():
            sheet.append(["XXJ-YANGXUN", date(2025, m, 10), "09:30", code, float(value), "联合监测", "xiaoshan;keqiao"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    sent = client.post(
        "/monitoring/uploads", files={"file": ("2025下半年.xlsx", buffer.getvalue())}, headers=as_(keys.bureau)
    )
    assert sent.status_code == 201 and sent.json()["stored"] == 18, sent.text
    statement = client.post(f"/agreements/{XXJ}/statements", json={"period": "2025"}, headers=as_(keys.bureau)).json()
    assert statement["status"] == "draft"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("r.csv", "断面编码,采样日期\nXXJ-YANGXUN,2025-01-10\n".encode(), "missing columns"),
        ("r.csv", "\xff\xfe".encode("latin-1"), "UTF-8"),
        ("r.xlsx", b"not a workbook", "not a readable XLSX"),
        ("r.txt", b"x", "neither .csv nor .xlsx"),
        ("r.csv", b"", "empty"),
    ],
)
def test_bad_files_are_refused(client: TestClient, keys: Keys, name: str, content: bytes, reason: str) -> None:
    sent = client.post("/monitoring/uploads", files={"file": (name, content)}, headers=as_(keys.bureau))
    assert sent.status_code == 422 and reason in sent.text, sent.text


def test_a_bureau_uploads_a_file_from_the_index_page(client: TestClient, keys: Keys) -> None:
    login = {"username": "bureau-user", "password": PASSWORD}
    index = client.post("/ui/login", data=login).text
    token = re.search(r'id="upload">\s*<input type="hidden" name="csrf" value="([0-9a-f]{64})"', index)
    assert token is not None, "the bureau sees the upload form"
    content = (
        "断面编码,采样日期,采样时间,指标,浓度（mg/L）,监测类型,采样单位\n"
        "XXJ-YANGXUN,2025-01-10,09:30,tp,0.17,手工监测,keqiao\n"
    )
    page = client.post(
        "/ui/monitoring",
        data={"csrf": token.group(1)},
        files={"file": ("一月.csv", content.encode())},
    )
    assert page.status_code == 200 and "已上传 一月.csv：新增 1 条" in page.text
    refused = client.post("/ui/monitoring", data={"csrf": token.group(1)}, files={"file": ("一月.csv", b"x,y\n1,2\n")})
    assert "unknown columns" in refused.text
