"""``manage.py verify_draw`` and ``draw.py`` recompute a draw from its published record: OK, or the first mismatch."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from spotchecks import draw as draw_algorithm
from spotchecks.models import SpotCheckPlan, SpotCheckTask
from spotchecks.services import spot_check_plan_approve, spot_check_plan_create, spot_check_plan_draw

from .conftest import add_merchants, plan_kwargs

pytestmark = pytest.mark.django_db

DRAW_PY = Path(draw_algorithm.__file__)


@pytest.fixture
def drawn(world):
    add_merchants("410802", {"A": 20, "B": 20, "C": 10, "D": 10, "": 5})
    plan = spot_check_plan_create(actor=world["district"], **plan_kwargs(world["regions"]["410802"]))
    spot_check_plan_approve(plan_id=plan.pk, actor=world["district"])
    return spot_check_plan_draw(plan_id=plan.pk, actor=world["district"])


def _run(*args) -> str:
    out = StringIO()
    call_command("verify_draw", *args, stdout=out)
    return out.getvalue().strip()


def test_verify_draw_prints_ok_for_an_untouched_draw(drawn, tmp_path):
    dump = tmp_path / "record.json"
    assert _run(str(drawn.pk), "--dump", str(dump)) == "OK"
    assert _run("0", "--record", str(dump)) == "OK"
    # The standalone script, with nothing but the standard library, agrees.
    result = subprocess.run([sys.executable, "-I", str(DRAW_PY), str(dump)], capture_output=True, text=True)
    assert (result.returncode, result.stdout.strip()) == (0, "OK")


def test_a_swapped_inspector_is_reported(drawn):
    task = SpotCheckTask.objects.filter(plan=drawn).order_by("draw_rank").first()
    others = [u for u in SpotCheckTask.objects.filter(plan=drawn).values_list("inspector_1_id", flat=True)
              if u not in (task.inspector_1_id, task.inspector_2_id)]
    SpotCheckTask.objects.filter(pk=task.pk).update(inspector_2_id=others[0])
    with pytest.raises(CommandError, match=r"MISMATCH: draw #1"):
        _run(str(drawn.pk))


def test_a_replaced_merchant_is_reported(drawn, world):
    task = SpotCheckTask.objects.filter(plan=drawn).order_by("draw_rank").last()
    stranger = add_merchants("410802", {"D": 1})[0]
    SpotCheckTask.objects.filter(pk=task.pk).update(merchant=stranger)
    # The stored salt no longer opens the drawn token to the merchant now on the task.
    with pytest.raises(CommandError, match=f"MISMATCH: the opening of token {task.token} does not hash to it"):
        _run(str(drawn.pk))


def test_another_seed_or_edited_lists_are_reported(drawn, tmp_path):
    out = tmp_path / "r.json"
    _run(str(drawn.pk), "--dump", str(out))
    record = json.loads(out.read_text())
    forged = dict(record, seed="11" * 32)
    out.write_text(json.dumps(forged))
    with pytest.raises(CommandError, match="commitment"):
        _run("0", "--record", str(out))
    edited = json.loads(json.dumps(record))
    edited["frozen"]["shares_bp"]["D"] = 10000
    out.write_text(json.dumps(edited))
    with pytest.raises(CommandError, match="frozen_digest"):
        _run("0", "--record", str(out))
    result = subprocess.run([sys.executable, "-I", str(DRAW_PY), str(out)], capture_output=True, text=True)
    assert result.returncode == 1 and result.stdout.startswith("MISMATCH")


def test_bad_arguments_exit_non_zero_with_one_line(world, tmp_path):
    with pytest.raises(CommandError, match="no spot-check plan 999"):
        _run("999")
    with pytest.raises(CommandError, match="must be a number"):
        _run("x")
    plan = spot_check_plan_create(actor=world["district"], **plan_kwargs(world["regions"]["410802"]))
    with pytest.raises(CommandError, match="not approved"):
        _run(str(plan.pk))
    add_merchants("410802", {"B": 3})
    spot_check_plan_approve(plan_id=plan.pk, actor=world["district"])
    with pytest.raises(CommandError, match="not drawn yet"):
        _run(str(plan.pk))
    with pytest.raises(CommandError, match="cannot read"):
        _run("0", "--record", str(tmp_path / "missing.json"))
    assert SpotCheckPlan.objects.get(pk=plan.pk).seed == ""
