"""Demo data for 双随机、一公开 (``seed_demo``, order 55): a district inspector roster, one completed and
published plan per demo city, and one approved plan awaiting its draw.

Everything goes through the services — approval picks a real secret seed, the draw is the real draw, each
result is recorded with ``spot_check_task_record`` (so it feeds the rating like any inspection, taken in by
the final recompute at order 60) — so the demo plans verify with ``draw.py`` like real ones. The seed is
secret by design, so *which* merchants are drawn differs between databases; the findings of a drawn merchant
follow from ``--seed`` and its id. Idempotent: a plan is found by its title and taken on from where it
stopped; a re-run adds nothing. Small plans (``max_count``) keep ``make demo`` fast.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from integrity_portal.core.errors import DomainError
from merchants.demo import CITY_SHORT, DISTRICTS, GIVEN, SURNAMES, ensure_demo_inspector
from merchants.models import FindingLevel, InspectionOutcome, Region

from .models import PlanStatus, SpotCheckPlan, SpotCheckTask, TaskStatus
from .services import (
    spot_check_plan_approve,
    spot_check_plan_create,
    spot_check_plan_draw,
    spot_check_plan_publish,
    spot_check_task_record,
)

INSPECTORS_PER_DISTRICT = 2
PUBLISHED_MAX_COUNT = 5  # drawn per published demo plan (each visit ~0.1 s: keeps make demo fast)
PUBLISHED_ITEMS = ["price_marking", "metrology", "advertising", "food_safety"]
AWAITING_DISTRICT = "410802"  # 解放区: its branch's approved plan awaits the draw
AWAITING_ITEMS = ["price_marking", "metrology", "premises"]


def district_inspector_logins() -> list[tuple[str, str, str, str]]:
    """(login, district, full name, certificate number) of the district roster: two per demo district,
    names from a fixed sequence (the same on every database)."""
    out = []
    for i, district in enumerate(sorted(DISTRICTS)):
        for n in range(1, INSPECTORS_PER_DISTRICT + 1):
            k = i * INSPECTORS_PER_DISTRICT + n
            name = SURNAMES[(k * 7) % len(SURNAMES)] + GIVEN[(k * 11) % len(GIVEN)]
            out.append((f"demo_inspector_{district}_{n}", district, name, f"{district}2026{n:04d}"))
    return out


def seed_roster() -> int:
    """Rostered inspectors posted in each demo district (no password: roster entries, not demo logins)."""
    names = dict(Region.objects.filter(code__in=list(DISTRICTS)).values_list("code", "name"))
    return sum(
        ensure_demo_inspector(username, district, full_name, certificate, unit=f"{names[district]}市场监管分局", password=None)
        for username, district, full_name, certificate in district_inspector_logins()
        if district in names
    )


def _findings(seed: int, merchant_id: int, items: list[str]) -> tuple[dict[str, str], str]:
    """Deterministic findings for one visit: mostly pass, some minor, rarely serious; the outcome follows."""
    rng = random.Random(f"spotcheck-demo:{seed}:{merchant_id}")
    findings = {}
    for item in items:
        roll = rng.random()
        findings[item] = FindingLevel.SERIOUS if roll < 0.05 else FindingLevel.MINOR if roll < 0.25 else FindingLevel.PASS
    levels = set(findings.values())
    if FindingLevel.SERIOUS in levels:
        return findings, InspectionOutcome.CASE
    return findings, InspectionOutcome.RECTIFY if FindingLevel.MINOR in levels else InspectionOutcome.SATISFACTORY


def _plan(region: Region, title: str, items: list[str], *, max_count: int | None) -> SpotCheckPlan:
    plan = SpotCheckPlan.objects.filter(region=region, title=title).first()
    if plan is not None:
        return plan
    today = timezone.localdate()
    return spot_check_plan_create(
        actor=None,
        region=region,
        title=title,
        year=today.year,
        period="演示",
        due_on=today + timedelta(days=30),
        items=items,
        max_count=max_count,
    )


def _published_plan(city: Region, seed: int) -> SpotCheckPlan:
    """Create, approve, draw, record every task and publish (each step only if not done yet)."""
    short = CITY_SHORT.get(city.code, city.name)
    plan = _plan(city, f"{timezone.localdate().year}年{short}市双随机抽查（演示）", PUBLISHED_ITEMS,
                 max_count=PUBLISHED_MAX_COUNT)
    if plan.status == PlanStatus.DRAFT:
        spot_check_plan_approve(plan_id=plan.pk, actor=None)
    plan.refresh_from_db()
    if plan.status == PlanStatus.APPROVED:
        spot_check_plan_draw(plan_id=plan.pk, actor=None)
    today = timezone.localdate()
    for task in SpotCheckTask.objects.filter(plan=plan, status__in=(TaskStatus.OPEN, TaskStatus.ESCALATED)):
        findings, outcome = _findings(seed, task.merchant_id, plan.items)
        spot_check_task_record(task_id=task.pk, actor=None, inspected_on=today, findings=findings, outcome=outcome)
    plan.refresh_from_db()
    if plan.status == PlanStatus.COMPLETED:
        spot_check_plan_publish(plan_id=plan.pk, actor=None)
    plan.refresh_from_db()
    return plan


def seed_spot_checks(*, seed: int, merchant_count: int, stdout=None) -> None:
    added = seed_roster()
    cities = Region.objects.filter(code__in=sorted(CITY_SHORT)).order_by("code")
    published, notes = 0, []
    for city in cities:
        try:
            plan = _published_plan(city, seed)
        except DomainError as exc:  # e.g. no operating merchant in the city (--merchants 0)
            notes.append(f"{city.name}: {exc.message}")
            continue
        published += plan.status == PlanStatus.PUBLISHED
    awaiting = 0
    district = Region.objects.filter(code=AWAITING_DISTRICT).first()
    if district is not None:
        try:
            plan = _plan(district, f"{timezone.localdate().year}年{district.name}第二批双随机抽查（演示）",
                         AWAITING_ITEMS, max_count=PUBLISHED_MAX_COUNT)
            if plan.status == PlanStatus.DRAFT:
                spot_check_plan_approve(plan_id=plan.pk, actor=None)
            awaiting = 1
        except DomainError as exc:
            notes.append(f"{district.name}: {exc.message}")
    if stdout is not None:
        stdout.write(
            f"  双随机 / spot checks: {added} district inspectors added, {published} published plans,"
            f" {awaiting} approved plan awaiting its draw"
        )
        for note in notes:
            stdout.write(f"    {note}")

