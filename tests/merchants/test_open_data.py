"""Open-data bulk files (issue #15 item 6): content of each format, per-district scope, the lists, no personal
data, the manifest written by the command and the beat job, the page, ETag/304, no traversal, atomic updates."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.template.defaultfilters import filesizeformat
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date, parse_http_date
from openpyxl import load_workbook

from merchants.models import ListEntryKind, Merchant, MerchantStatus, OpenDataFile
from merchants.services.credit import list_entry_add_red
from merchants.services.open_data import open_data_export, open_data_root
from merchants.services.rating import ratings_recompute
from tests.factories import MerchantFactory
from tests.merchants.credit_factories import blacklist, inspect, today

pytestmark = pytest.mark.django_db

CITY, JIEFANG, ZHONGZHAN = "410800", "410802", "410803"
SCOPES = [CITY, JIEFANG, ZHONGZHAN]
REGISTER_HEADER = [
    "merchant_id",
    "name",
    "uscc",
    "licence_number",
    "kind",
    "industry",
    "address",
    "region_code",
    "region_name",
    "stars",
    "rated_at",
    "rating_under_appeal",
    "status",
    "red_listed",
    "black_listed",
]
LIST_HEADER = [
    "entry_id",
    "merchant_id",
    "name",
    "uscc",
    "licence_number",
    "region_code",
    "region_name",
    "kind",
    "reason",
    "legal_basis",
    "decision_number",
    "decided_by",
    "valid_from",
    "valid_until",
]
COMPLAINANT = {"name": "投诉人赵小明", "phone": "13987654321", "id_number": "410802199001011234"}


@pytest.fixture
def world(regions):
    """Two districts of 焦作市: a rated shop, a black-listed one and a commended one in 解放区, one in 中站区,
    a deregistered one; a complaint with a complainant's name, phone and ID number about the first."""
    from tests.complaints.conftest import file_complaint

    rated = MerchantFactory(name="甲记面馆", legal_representative="法人代表钱多多", address="解放路1号")
    inspect(rated)
    dark = MerchantFactory(name="乙号商行", legal_representative="法人代表孙不二")
    blacklist(dark, number="焦市监失信〔2026〕7号")
    bright = MerchantFactory(name="丙号超市", kind="enterprise", legal_representative="法人代表周全")
    list_entry_add_red(
        merchant=bright,
        kind=ListEntryKind.COMMENDED,
        reason="年度文明诚信经营示范店",
        legal_basis="焦作市文明诚信经营评选办法",
        decision_number="焦文明〔2026〕3号",
        valid_from=today() - timedelta(days=10),
        valid_until=None,
        decided_by="焦作市精神文明建设办公室",
        actor=None,
    )
    other = MerchantFactory(name="丁号饭店", region_id=ZHONGZHAN, legal_representative="法人代表吴用")
    gone = MerchantFactory(name="戊号小卖部", status=MerchantStatus.DEREGISTERED, legal_representative="法人代表郑和")
    ratings_recompute(merchant_ids=[m.pk for m in (rated, dark, bright, other, gone)])
    file_complaint(merchant_id=rated.pk, region_code=JIEFANG, **COMPLAINANT)
    return {m.name: Merchant.objects.get(pk=m.pk) for m in (rated, dark, bright, other, gone)}


def _read(item: OpenDataFile) -> bytes:
    return (open_data_root() / item.path).read_bytes()


def _file(region, dataset, fmt) -> OpenDataFile:
    return OpenDataFile.objects.get(region_id=region, dataset=dataset, format=fmt)


def _csv_rows(item) -> list[dict]:
    return list(csv.DictReader(io.StringIO(_read(item).decode("utf-8-sig"))))


def test_register_csv_is_utf8_with_bom_and_holds_the_public_columns(world):
    open_data_export(region_codes=SCOPES)
    item = _file(JIEFANG, "register", "csv")
    raw = _read(item)
    assert raw.startswith("\ufeff".encode())
    assert raw.decode("utf-8-sig").splitlines()[0].split(",") == REGISTER_HEADER
    rows = {r["name"]: r for r in _csv_rows(item)}
    assert set(rows) == {"甲记面馆", "乙号商行", "丙号超市", "戊号小卖部"}  # 中站区's entity is not in 解放区's file
    shop = rows["甲记面馆"]
    assert shop["region_code"] == JIEFANG and shop["region_name"] == "焦作市解放区"
    assert shop["stars"] == str(world["甲记面馆"].stars) and shop["rated_at"] == today().isoformat()
    assert shop["address"] == "解放路1号" and shop["kind"] == "merchant" and shop["status"] == "operating"
    assert (shop["red_listed"], shop["black_listed"]) == ("False", "False")
    assert rows["乙号商行"]["black_listed"] == "True" and rows["乙号商行"]["stars"] == "0"
    assert rows["丙号超市"]["red_listed"] == "True"
    # A deregistered entity stays in the register without current stars.
    assert rows["戊号小卖部"]["status"] == "deregistered" and rows["戊号小卖部"]["stars"] == ""
    assert item.row_count == 4


def test_city_file_holds_every_district(world):
    open_data_export(region_codes=SCOPES)
    names = {r["name"] for r in _csv_rows(_file(CITY, "register", "csv"))}
    assert names == {"甲记面馆", "乙号商行", "丙号超市", "丁号饭店", "戊号小卖部"}
    assert {r["name"] for r in _csv_rows(_file(ZHONGZHAN, "register", "csv"))} == {"丁号饭店"}


def test_xlsx_opens_with_the_header_dictionary_and_licence(world):
    open_data_export(region_codes=[JIEFANG])
    book = load_workbook(io.BytesIO(_read(_file(JIEFANG, "register", "xlsx"))), read_only=True)
    data, dictionary, licence = book.worksheets
    rows = list(data.iter_rows(values_only=True))
    assert list(rows[0]) == REGISTER_HEADER and len(rows) == 5
    fields = [r[0] for r in dictionary.iter_rows(min_row=2, values_only=True)]
    assert fields == REGISTER_HEADER
    assert settings.OPEN_DATA_LICENCE in [r[0] for r in licence.iter_rows(values_only=True)]


def test_json_parses_and_carries_dictionary_licence_and_rows(world):
    open_data_export(region_codes=[JIEFANG])
    document = json.loads(_read(_file(JIEFANG, "register", "json")))
    assert document["licence"] == settings.OPEN_DATA_LICENCE
    assert document["region_code"] == JIEFANG and document["dataset"] == "register"
    assert document["update_frequency"] == "daily"
    assert [f["field"] for f in document["data_dictionary"]] == REGISTER_HEADER
    assert {"name_zh", "name_en", "type", "description"} <= set(document["data_dictionary"][0])
    by_name = {r["name"]: r for r in document["rows"]}
    assert by_name["甲记面馆"]["stars"] == world["甲记面馆"].stars
    assert by_name["乙号商行"]["black_listed"] is True and by_name["戊号小卖部"]["stars"] is None
    assert by_name["甲记面馆"]["rated_at"] == today().isoformat()


def test_red_and_black_lists_hold_the_entries_in_force_of_the_scope(world):
    open_data_export(region_codes=SCOPES)
    black = _csv_rows(_file(JIEFANG, "black_list", "csv"))
    assert [r["name"] for r in black] == ["乙号商行"]
    assert black[0]["decision_number"] == "焦市监失信〔2026〕7号" and black[0]["kind"] == "serious_dishonesty"
    assert list(black[0]) == LIST_HEADER
    red = json.loads(_read(_file(JIEFANG, "red_list", "json")))["rows"]
    assert [(r["name"], r["kind"], r["valid_until"]) for r in red] == [("丙号超市", "commended", None)]
    assert _file(ZHONGZHAN, "black_list", "csv").row_count == 0
    assert [r["name"] for r in _csv_rows(_file(CITY, "black_list", "csv"))] == ["乙号商行"]


def test_no_file_holds_personal_data(world):
    open_data_export(region_codes=SCOPES)
    secrets = [*COMPLAINANT.values(), *(m.legal_representative for m in world.values())]
    files = OpenDataFile.objects.all()
    assert files.count() == 36  # 3 scopes × 4 datasets (register, red, black, spot checks) × 3 formats
    for item in files:
        raw = _read(item)
        if item.format == "xlsx":
            book = load_workbook(io.BytesIO(raw), read_only=True)
            text = "\n".join(str(v) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for v in r)
        else:
            text = raw.decode("utf-8-sig")
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{item.path} holds {leaked}"
        assert "legal_representative" not in text and "credit_class" not in text


def test_command_writes_every_city_and_district_into_the_manifest(world):
    out = io.StringIO()
    call_command("export_open_data", stdout=out)
    cities_and_districts = 30  # regions.json: 4 cities, 26 districts
    assert OpenDataFile.objects.count() == cities_and_districts * 4 * 3  # 4 datasets incl. spot_checks
    assert "360 files" in out.getvalue()
    for item in OpenDataFile.objects.filter(region_id=CITY):
        assert (open_data_root() / item.path).stat().st_size == item.size
        assert len(item.sha256) == 64 and item.generated_at is not None


def test_beat_job_is_scheduled_on_the_reports_queue_and_writes_the_manifest(world):
    from integrity_portal.celery import app
    from merchants.tasks import export_open_data

    entry = settings.BEAT_DEFAULT_SCHEDULE["export-open-data"]
    assert entry["task"] == "merchants.tasks.export_open_data"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({4}, {0})
    route = app.amqp.router.route({}, "merchants.tasks.export_open_data")
    assert route["queue"].name == "reports"
    result = export_open_data.delay(region_codes=[JIEFANG]).get()
    assert result == {"files": 12, "rows": 3 * (4 + 1 + 1 + 0)}  # no published spot-check plan
    assert OpenDataFile.objects.filter(region_id=JIEFANG).count() == 12


def test_page_lists_the_files_with_size_rows_and_time(world):
    open_data_export(region_codes=SCOPES)
    page = Client().get("/open-data/")
    assert page.status_code == 200
    body = page.content.decode()
    for fmt in ("csv", "xlsx", "json"):
        assert f'href="/open-data/{JIEFANG}/register.{fmt}"' in body
    assert "焦作市" in body and "解放区" in body and "中站区" in body
    assert "merchant_id" in body and "licence_number" in body  # the data dictionary
    assert settings.OPEN_DATA_LICENCE in body
    assert "<script" not in body.split("</head>")[1] and "style=" not in body
    # 解放区's register row: each file's size, the record count and the generation time, as the files served
    # say them (the bytes downloaded, the CSV's data lines), not as the export recorded them.
    row = next(
        r for r in re.findall(r"<tr>(.*?)</tr>", body, re.S) if f"/open-data/{JIEFANG}/register.csv" in r
    )
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    for fmt in ("csv", "xlsx", "json"):
        served = b"".join(Client().get(f"/open-data/{JIEFANG}/register.{fmt}").streaming_content)
        size = html.escape(filesizeformat(len(served)))
        assert re.search(
            rf'register\.{fmt}"[^>]*>[^<]*</a> <span class="muted small">{re.escape(size)}</span>', row
        )
    served_csv = b"".join(Client().get(f"/open-data/{JIEFANG}/register.csv").streaming_content)
    records = list(csv.DictReader(io.StringIO(served_csv.decode("utf-8-sig"))))
    assert len(records) >= 3 and cells[3].strip() == str(len(records))
    shown = timezone.make_aware(datetime.strptime(cells[4].strip(), "%Y-%m-%d %H:%M"))
    assert abs(timezone.now() - shown) < timedelta(minutes=2)  # local time (Asia/Shanghai) read back as such
    home = Client().get("/legal/privacy/").content.decode()
    assert 'href="/open-data/"' in home  # linked from the footer of every page


def test_file_is_served_with_etag_and_answers_304(world):
    open_data_export(region_codes=[JIEFANG])
    item = _file(JIEFANG, "register", "csv")
    response = Client().get(f"/open-data/{JIEFANG}/register.csv")
    assert response.status_code == 200
    assert response["ETag"] == f'"{item.sha256}"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "%E8%A7%A3%E6%94%BE%E5%8C%BA" in disposition  # 解放区, percent-encoded
    assert b"".join(response.streaming_content) == _read(item)
    again = Client().get(f"/open-data/{JIEFANG}/register.csv", HTTP_IF_NONE_MATCH=f'"{item.sha256}"')
    assert again.status_code == 304 and again["ETag"] == f'"{item.sha256}"'
    # Last-Modified is the generation time: a copy fetched then is current, one from before is not
    modified = response["Last-Modified"]
    assert parse_http_date(modified) == int(item.generated_at.timestamp())
    since = Client().get(f"/open-data/{JIEFANG}/register.csv", HTTP_IF_MODIFIED_SINCE=modified)
    assert since.status_code == 304
    older = http_date(int(item.generated_at.timestamp()) - 1)
    assert Client().get(f"/open-data/{JIEFANG}/register.csv", HTTP_IF_MODIFIED_SINCE=older).status_code == 200
    json_response = Client().get(f"/open-data/{JIEFANG}/black_list.json")
    assert json_response["Content-Type"] == "application/json"
    xlsx = Client().get(f"/open-data/{JIEFANG}/register.xlsx")
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(
    "url",
    [
        "/open-data/410802/register.txt",
        "/open-data/410802/settings.csv",
        "/open-data/410803/register.csv",  # not exported
        "/open-data/410802/..%2F..%2Fsettings.py",
        "/open-data/410802/%2e%2e/register.csv",
        "/open-data/..%2F410802/register.csv",
        "/open-data/410802/register.csv/..",
    ],
)
def test_only_listed_files_are_served(world, url):
    open_data_export(region_codes=[JIEFANG])
    (open_data_root() / "secret.csv").write_text("secret")
    assert Client().get(url).status_code == 404


def test_a_listed_path_outside_the_directory_is_refused(world, tmp_path):
    open_data_export(region_codes=[JIEFANG])
    outside = tmp_path / "outside.csv"
    outside.write_text("outside")
    OpenDataFile.objects.filter(region_id=JIEFANG, dataset="register", format="csv").update(path="../../outside.csv")
    assert Client().get(f"/open-data/{JIEFANG}/register.csv").status_code == 404


def test_failure_mid_write_leaves_the_previous_files_listed(world, monkeypatch):
    from integrity_portal.core import exports

    open_data_export(region_codes=[JIEFANG])
    before = {(f.dataset, f.format): (f.path, f.sha256) for f in OpenDataFile.objects.all()}
    MerchantFactory(name="新开业商户")
    calls = {"n": 0}
    real_write = exports.JsonWriter.write

    def failing_write(self, row):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real_write(self, row)

    monkeypatch.setattr(exports.JsonWriter, "write", failing_write)
    with pytest.raises(OSError, match="disk full"):
        open_data_export(region_codes=[JIEFANG])
    after = {(f.dataset, f.format): (f.path, f.sha256) for f in OpenDataFile.objects.all()}
    assert after == before
    directory = open_data_root() / JIEFANG
    assert not [p for p in directory.iterdir() if p.name.endswith(".part")]
    assert sorted(p.name for p in directory.iterdir()) == sorted(Path(path).name for path, _ in before.values())
    response = Client().get(f"/open-data/{JIEFANG}/register.csv")
    assert response.status_code == 200 and "新开业商户" not in b"".join(response.streaming_content).decode()


def test_a_new_run_replaces_the_listed_file_and_keeps_the_old_one_for_a_grace_period(world):
    from merchants.services.open_data import _remove_replaced_files

    open_data_export(region_codes=[JIEFANG])
    first = _file(JIEFANG, "register", "csv")
    MerchantFactory(name="新开业商户")
    open_data_export(region_codes=[JIEFANG])
    second = _file(JIEFANG, "register", "csv")
    assert second.path != first.path and second.row_count == first.row_count + 1
    assert (open_data_root() / first.path).exists()  # a download that began before the switch can finish
    assert first.path in _remove_replaced_files(grace_seconds=-1)
    assert not (open_data_root() / first.path).exists() and (open_data_root() / second.path).exists()
