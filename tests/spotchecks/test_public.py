"""一公开: /spot-checks/ lists the published plans, /spot-checks/<id>/ shows the commitment (from approval), the
seed (after the draw) and the results (once published); never a credit class, an inspector or personal data."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from spotchecks import draw as draw_algorithm
from spotchecks.models import PlanStatus, SpotCheckPlan, SpotCheckTask

from .publication import make_plan

pytestmark = pytest.mark.django_db

CLASS_WORDS = ("信用风险分类：", "credit_class", "较高风险", "高风险", "低风险")


def _inspector_data(plan) -> set[str]:
    values = set()
    for task in SpotCheckTask.objects.filter(plan=plan).select_related("inspector_1__staff_profile", "inspector_2__staff_profile"):
        for user in (task.inspector_1, task.inspector_2):
            profile = user.staff_profile
            values |= {v for v in (profile.full_name, profile.certificate_number, user.username, user.email) if v}
    return values


def _personal(plan) -> set[str]:
    merchants = [t.merchant for t in SpotCheckTask.objects.filter(plan=plan).select_related("merchant")]
    return {v for m in merchants for v in (m.legal_representative, m.address) if v} | _inspector_data(plan)


def test_list_shows_published_plans_only(world, client):
    published = make_plan(world, "published", title="已公示的抽查计划")
    approved = make_plan(world, "approved", title="待抽取的抽查计划")
    draft = make_plan(world, "draft", title="草稿抽查计划")
    completed = make_plan(world, "completed", title="已完成未公示计划")
    assert completed.status == PlanStatus.COMPLETED

    body = client.get("/spot-checks/").content.decode()
    published_part, _, announced_part = body.partition("已公布承诺值、尚未公示结果的计划")
    assert published.title in published_part and f"/spot-checks/{published.pk}/" in published_part
    assert published.seed in published_part and published.seed_commitment in published_part
    for plan in (approved, completed, draft):
        assert plan.title not in published_part
    # announced (commitment public since approval), never the draft, never the seed before the draw
    assert approved.title in announced_part and approved.seed_commitment in announced_part
    assert draft.title not in body
    assert SpotCheckPlan.objects.get(pk=approved.pk).freeze.secret_seed not in body


def test_published_plan_page_shows_results_without_class_inspectors_or_personal_data(world, client):
    plan = make_plan(world, "published")
    response = client.get(f"/spot-checks/{plan.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    tasks = list(SpotCheckTask.objects.filter(plan=plan).select_related("merchant"))
    assert len(tasks) == plan.drawn_count >= 3
    for task in tasks:
        assert task.merchant.name in body and task.merchant.uscc in body
    assert "明码标价" in body and "一般问题" in body and "责令整改" in body
    assert plan.seed in body and plan.seed_commitment in body and plan.frozen_digest in body
    assert f"/spot-checks/{plan.pk}/record.json" in body and "/spot-checks/draw.py" in body
    leaked = [v for v in _personal(plan) if v in body]
    assert not leaked
    assert not [w for w in CLASS_WORDS if w in body]
    for task in tasks:  # no salt or token that would open the draw record's rows to a merchant
        assert task.salt not in body and task.token not in body


def test_results_are_ordered_by_name_not_by_draw(world, client):
    plan = make_plan(world, "published", per_class={"D": 3, "A": 2, "": 2})
    body = client.get(f"/spot-checks/{plan.pk}/").content.decode()
    names = sorted(SpotCheckTask.objects.filter(plan=plan).values_list("merchant__name", flat=True))
    positions = [body.index(n) for n in names]
    assert positions == sorted(positions)


def test_seed_appears_only_after_the_draw(world, client, django_capture_on_commit_callbacks):
    plan = make_plan(world, "approved")
    secret = plan.freeze.secret_seed
    body = client.get(f"/spot-checks/{plan.pk}/").content.decode()
    assert plan.seed_commitment in body and "抽取后公布" in body
    assert secret not in body
    record = client.get(f"/spot-checks/{plan.pk}/record.json").json()
    assert record["seed"] == "" and record["commitment"] == plan.seed_commitment
    assert secret not in json.dumps(record)

    from spotchecks.services import spot_check_plan_draw

    with django_capture_on_commit_callbacks(execute=True):
        spot_check_plan_draw(plan_id=plan.pk, actor=world["district"])
    body = client.get(f"/spot-checks/{plan.pk}/").content.decode()  # the draw bumped the public page cache
    assert secret in body and "检查完成后 20 个工作日内" in body
    assert draw_algorithm.commitment(secret) == plan.seed_commitment


def test_drafts_and_unknown_plans_are_404(world, client):
    draft = make_plan(world, "draft")
    for url in (f"/spot-checks/{draft.pk}/", f"/spot-checks/{draft.pk}/record.json", "/spot-checks/99999/"):
        assert client.get(url).status_code == 404, url


def test_results_appear_only_once_published(world, client):
    plan = make_plan(world, "completed")
    body = client.get(f"/spot-checks/{plan.pk}/").content.decode()
    merchant = SpotCheckTask.objects.filter(plan=plan).select_related("merchant").first().merchant
    assert merchant.name not in body and "检查完成后 20 个工作日内在本页公示结果" in body


def test_downloaded_record_and_script_verify_the_draw(world, client, tmp_path):
    plan = make_plan(world, "published")
    record = client.get(f"/spot-checks/{plan.pk}/record.json")
    assert record["Content-Disposition"].startswith("attachment") and record["ETag"]
    assert client.get(f"/spot-checks/{plan.pk}/record.json", HTTP_IF_NONE_MATCH=record["ETag"]).status_code == 304
    data = json.loads(record.content)
    assert "openings" not in data and "tasks" not in data
    script = client.get("/spot-checks/draw.py")
    assert script.status_code == 200 and script["Content-Disposition"].startswith("attachment")
    source = b"".join(script.streaming_content)
    (tmp_path / "draw.py").write_bytes(source)
    (tmp_path / "record.json").write_bytes(record.content)
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "draw.py", "record.json"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == "OK", done.stdout + done.stderr
    data["seed"] = "00" * 32
    (tmp_path / "record.json").write_text(json.dumps(data))
    bad = subprocess.run([sys.executable, "draw.py", "record.json"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1


def test_merchant_profile_links_its_published_results(world, client):
    plan = make_plan(world, "published")
    task = SpotCheckTask.objects.filter(plan=plan).first()
    body = client.get(f"/merchants/{task.merchant_id}/").content.decode()
    assert "双随机抽查结果" in body and f"/spot-checks/{plan.pk}/" in body
    unpublished = make_plan(world, "completed", title="尚未公示的计划")
    other = SpotCheckTask.objects.filter(plan=unpublished).first()
    assert "尚未公示的计划" not in client.get(f"/merchants/{other.merchant_id}/").content.decode()


def test_home_page_and_footer_link_to_spot_checks(world, client):
    assert 'href="/spot-checks/"' in client.get("/").content.decode()


def test_english_page(world, client):
    plan = make_plan(world, "published")
    body = client.get(f"/spot-checks/{plan.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Verify in the browser" in body and "Results" in body


def test_open_data_file_holds_published_results_only(world, client, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.OPEN_DATA_ROOT = str(tmp_path)
    published = make_plan(world, "published")
    make_plan(world, "completed", title="尚未公示的计划")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("export_open_data", verbosity=0)
    page = client.get("/open-data/").content.decode()
    assert "/open-data/410802/spot_checks.json" in page and "双随机抽查结果" in page
    response = client.get("/open-data/410802/spot_checks.json")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    data = json.loads(text)
    rows = data["rows"] if isinstance(data, dict) and "rows" in data else data
    names = set(SpotCheckTask.objects.filter(plan=published).values_list("merchant__name", flat=True))
    assert names and all(n in text for n in names)
    assert "尚未公示的计划" not in text
    assert not [v for v in _personal(published) if v in text]
    assert "credit_class" not in text and rows
