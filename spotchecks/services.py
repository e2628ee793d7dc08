"""Every write of the spot-check app (双随机、一公开): plans, the freeze and draw, tasks, conflicts.

Services take keyword arguments and the acting user (``actor``; None for the system), check their
preconditions and raise ``core.errors.DomainError`` subclasses with a translated message, write in one
transaction after locking the plan row, and move statuses only through ``workflow`` maps.

The draw itself is ``spotchecks.draw`` (standard library only, so anyone can rerun it); this module
freezes its inputs at approval and stores its output as tasks at the draw.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from integrity_portal.core import workdays
from integrity_portal.core.audit import audit_log
from integrity_portal.core.errors import (
    ConcurrentUpdate,
    NotFound,
    NotPermitted,
    TransitionNotAllowed,
    ValidationFailed,
)
from integrity_portal.core.public_cache import public_pages_changed
from integrity_portal.core.roles import StaffRole
from integrity_portal.core.scoping import (
    is_unrestricted,
    region_and_descendants,
    staff_role,
    user_covers_region,
)
from merchants.models import (
    INSPECTION_ITEMS,
    Industry,
    Inspection,
    Merchant,
    MerchantKind,
    MerchantStatus,
    Region,
    RegionLevel,
)
from merchants.selectors.staff import inspector_roster
from merchants.services.credit import inspection_record

from . import draw as draw_algorithm
from .audit_actions import AuditAction
from .models import (
    PUBLISH_WITHIN_WORKING_DAYS,
    SCOPE_FIELDS,
    SHARE_BANDS,
    SHARE_FIELDS,
    TASK_FINISHED,
    UNRATED_SAMPLED_AS,
    InspectorConflict,
    PlanStatus,
    SpotCheckFreeze,
    SpotCheckPlan,
    SpotCheckTask,
    TaskStatus,
)
from .workflow import PLAN_WORKFLOW, TASK_WORKFLOW

PLANNER_ROLES = (StaffRole.CITY_BUREAU, StaffRole.DISTRICT_BRANCH)
ITEM_NAMES = tuple(name for name, _label in INSPECTION_ITEMS)


# --- checks shared by the services ---------------------------------------------------------------


def _require_planner(actor: User | None, region_code: str) -> None:
    """A city bureau or district branch officer of ``region_code`` (or above), a superuser, or the system."""
    if actor is None or is_unrestricted(actor):
        return
    if staff_role(actor) not in PLANNER_ROLES:
        raise NotPermitted(_("只有市场监管局或分局工作人员可以制定、批准和抽取抽查计划。"))
    if not user_covers_region(actor, region_code):
        raise NotPermitted(_("只能为本辖区制定或处理抽查计划。"))


def _locked_plan(plan_id: int) -> SpotCheckPlan:
    plan = SpotCheckPlan.objects.select_for_update().select_related("region").filter(pk=plan_id).first()
    if plan is None:
        raise NotFound(_("抽查计划不存在。"))
    return plan


def _as_percent(value, label: str) -> Decimal:
    try:
        share = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed(_("%(cls)s 类抽查比例不是有效数字。") % {"cls": label}) from None
    if not share.is_finite():
        raise ValidationFailed(_("%(cls)s 类抽查比例不是有效数字。") % {"cls": label})
    return share


def validate_shares(shares: Mapping[str, object]) -> dict[str, Decimal]:
    """Each class's share as a percentage within 0–100 % and within the class's band (``SHARE_BANDS``)."""
    clean: dict[str, Decimal] = {}
    for cls, (low, high) in SHARE_BANDS.items():
        if cls not in shares:
            continue
        share = _as_percent(shares[cls], cls)
        field = SHARE_FIELDS[cls]
        if share < 0 or share > 100:
            raise ValidationFailed(
                _("%(cls)s 类抽查比例须在 0%% 至 100%% 之间（填写的是 %(value)s%%）。") % {"cls": cls, "value": share},
                details={"field": field},
            )
        if share < low or share > high:
            raise ValidationFailed(
                _("%(cls)s 类抽查比例须在 %(low)s%% 至 %(high)s%% 之间（填写的是 %(value)s%%）。")
                % {"cls": cls, "low": low, "high": high, "value": share},
                details={"field": field},
            )
        if share.as_tuple().exponent < -2:
            raise ValidationFailed(
                _("%(cls)s 类抽查比例最多保留两位小数。") % {"cls": cls}, details={"field": field}
            )
        clean[cls] = share
    return clean


def _subset(values: Iterable[str] | None, allowed: Iterable[str], message: str, field: str) -> list[str]:
    values = list(dict.fromkeys(values or []))
    unknown = [v for v in values if v not in set(allowed)]
    if unknown:
        raise ValidationFailed(message % {"values": "、".join(map(str, unknown))}, details={"field": field})
    return values


def _clean_scope(*, actor: User | None, region: Region, districts: Iterable, data: dict) -> tuple[list[Region], dict]:
    """Validate a plan's scope and sampling; return (district regions, field values). Nothing is written."""
    _require_planner(actor, region.code)
    codes = [getattr(d, "code", d) for d in districts or []]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    inside = set(region_and_descendants(region.code))
    outside = [
        c for c in codes
        if c not in found or c not in inside or found[c].level != RegionLevel.DISTRICT
        or (actor is not None and not user_covers_region(actor, c))
    ]
    if outside:
        names = "、".join(found[c].full_name if c in found else c for c in outside)
        raise ValidationFailed(
            _("以下区县不在制定单位（%(region)s）的辖区内，不能列入抽查范围：%(names)s。")
            % {"region": region.name, "names": names},
            details={"field": "districts"},
        )
    values = dict(data)
    if "merchant_kinds" in values:
        values["merchant_kinds"] = _subset(
            values["merchant_kinds"], MerchantKind.values, _("未知的主体类型：%(values)s。"), "merchant_kinds"
        )
    if "industries" in values:
        values["industries"] = _subset(values["industries"], Industry.values, _("未知的行业：%(values)s。"), "industries")
    if "items" in values:
        values["items"] = _subset(values["items"], ITEM_NAMES, _("未知的检查事项：%(values)s。"), "items")
        if not values["items"]:
            raise ValidationFailed(_("请至少选择一项检查事项。"), details={"field": "items"})
    shares = validate_shares({c: values.pop(f) for c, f in SHARE_FIELDS.items() if f in values})
    values.update({SHARE_FIELDS[c]: s for c, s in shares.items()})
    min_count = values.get("min_count", 0)
    max_count = values.get("max_count")
    for name, number in (("min_count", min_count), ("max_count", max_count)):
        if number is not None and (not isinstance(number, int) or number < 0):
            raise ValidationFailed(_("抽取户数须为不小于 0 的整数。"), details={"field": name})
    if max_count is not None and max_count < (min_count or 0):
        raise ValidationFailed(_("最多抽取户数不能少于最少抽取户数。"), details={"field": "max_count"})
    months = values.get("exclude_inspected_months", 0)
    if not isinstance(months, int) or not 0 <= months <= 60:
        raise ValidationFailed(_("排除近期已检查主体的月数须在 0 至 60 之间。"), details={"field": "exclude_inspected_months"})
    due_on = values.get("due_on")
    if "due_on" in values and (not isinstance(due_on, date) or due_on < timezone.localdate()):
        raise ValidationFailed(_("检查完成期限不能早于今天。"), details={"field": "due_on"})
    if "title" in values and not str(values["title"] or "").strip():
        raise ValidationFailed(_("请填写计划名称。"), details={"field": "title"})
    if len(str(values.get("title") or "")) > 120:
        raise ValidationFailed(_("计划名称最多 120 个字。"), details={"field": "title"})
    year = values.get("year")
    if "year" in values and (not isinstance(year, int) or not 2000 <= year <= 2100):
        raise ValidationFailed(_("年度须在 2000 至 2100 之间。"), details={"field": "year"})
    return [found[c] for c in codes], values


# --- plans ---------------------------------------------------------------------------------------


def spot_check_plan_create(
    *,
    actor: User | None,
    region: Region,
    title: str,
    year: int,
    due_on: date,
    items: Iterable[str],
    period: str = "",
    districts: Iterable = (),
    merchant_kinds: Iterable[str] = (),
    industries: Iterable[str] = (),
    shares: Mapping[str, object] | None = None,
    min_count: int = 0,
    max_count: int | None = None,
    exclude_inspected_months: int = 0,
) -> SpotCheckPlan:
    """A draft plan of ``region`` (a district plans for its district, the city for the city).

    ``shares``: class → percent (missing classes take ``DEFAULT_SHARES``). ``districts``: Region objects or
    codes inside ``region``; none means all of it."""
    data = {
        "title": (title or "").strip(),
        "year": year,
        "due_on": due_on,
        "items": list(items or []),
        "merchant_kinds": list(merchant_kinds or []),
        "industries": list(industries or []),
        "min_count": min_count,
        "max_count": max_count,
        "exclude_inspected_months": exclude_inspected_months,
        **{SHARE_FIELDS[c]: v for c, v in (shares or {}).items() if c in SHARE_FIELDS},
    }
    unknown = set(shares or {}) - set(SHARE_FIELDS)
    if unknown:
        raise ValidationFailed(_("未知的信用风险分类：%(values)s。") % {"values": "、".join(sorted(unknown))})
    scope, values = _clean_scope(actor=actor, region=region, districts=districts, data=data)
    with transaction.atomic():
        plan = SpotCheckPlan.objects.create(
            region=region, period=(period or "")[:40], created_by=_user(actor), **values
        )
        plan.districts.set(scope)
        audit_log(actor=actor, action=AuditAction.PLAN_CREATE, target=plan, to_status=plan.status)
    return plan


def spot_check_plan_update(*, plan_id: int, actor: User | None, changes: Mapping[str, object]) -> SpotCheckPlan:
    """Change a plan. Its scope and sampling (``SCOPE_FIELDS``) only while it is a draft; title, period and
    due date until it is drawn. Refused with nothing written otherwise."""
    editable = {"title", "year", "period", "due_on", *SCOPE_FIELDS}
    unknown = set(changes) - editable
    if unknown:
        raise ValidationFailed(_("不能修改这些字段：%(values)s。") % {"values": "、".join(sorted(unknown))})
    with transaction.atomic():
        plan = _locked_plan(plan_id)
        scope_changes = set(changes) & set(SCOPE_FIELDS)
        if scope_changes and plan.status != PlanStatus.DRAFT:
            raise TransitionNotAllowed(
                _("抽查计划已“%(status)s”，抽查范围和抽查比例不能再修改（名单和随机种子承诺值已公布）。")
                % {"status": plan.get_status_display()}
            )
        if plan.status not in (PlanStatus.DRAFT, PlanStatus.APPROVED):
            raise TransitionNotAllowed(
                _("抽查计划已“%(status)s”，不能再修改。") % {"status": plan.get_status_display()}
            )
        region = changes.get("region", plan.region)
        if not isinstance(region, Region):
            region = Region.objects.filter(code=region).first()
            if region is None:
                raise ValidationFailed(_("制定单位辖区不存在。"), details={"field": "region"})
        _require_planner(actor, plan.region_id)
        districts = changes.get("districts", list(plan.districts.all()))
        data = {k: v for k, v in changes.items() if k not in ("region", "districts")}
        scope, values = _clean_scope(actor=actor, region=region, districts=districts, data=data)
        changed = []
        for name, value in {**values, "region": region}.items():
            if getattr(plan, name) != value:
                setattr(plan, name, value)
                changed.append(name)
        if changed:
            plan.save(update_fields=changed)
        if "districts" in changes and {r.code for r in scope} != set(plan.districts.values_list("code", flat=True)):
            plan.districts.set(scope)
            changed.append("districts")
        if changed:
            audit_log(actor=actor, action=AuditAction.PLAN_UPDATE, target=plan, data={"fields": changed})
    return plan


def _user(actor: User | None) -> User | None:
    return actor if getattr(actor, "is_authenticated", False) else None


def _scope_codes(plan: SpotCheckPlan) -> list[str]:
    chosen = list(plan.districts.values_list("code", flat=True))
    roots = chosen or [plan.region_id]
    return sorted({code for root in roots for code in region_and_descendants(root)})


def _salt(key: bytes, merchant_id: int) -> str:
    return hmac.new(key, str(int(merchant_id)).encode(), hashlib.sha256).hexdigest()[:32]


def eligible_merchants(plan: SpotCheckPlan, *, on: date | None = None):
    """The merchants in the plan's scope that may be drawn: operating, of its kinds and industries, and
    not inspected within its ``exclude_inspected_months`` (values: id, region_id, credit_class)."""
    qs = Merchant.objects.filter(region_id__in=_scope_codes(plan), status=MerchantStatus.OPERATING)
    if plan.merchant_kinds:
        qs = qs.filter(kind__in=plan.merchant_kinds)
    if plan.industries:
        qs = qs.filter(industry__in=plan.industries)
    if plan.exclude_inspected_months:
        cutoff = _months_before(on or timezone.localdate(), plan.exclude_inspected_months)
        recent = Inspection.objects.filter(merchant=OuterRef("pk"), inspected_on__gte=cutoff)
        qs = qs.exclude(Exists(recent))
    return qs.order_by("id").values_list("id", "region_id", "credit_class")


def _months_before(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _freeze(plan: SpotCheckPlan, salt_key: str) -> tuple[dict, dict[str, int]]:
    """The frozen lists of ``plan`` (see ``draw`` for their shape) and the private token → merchant id index."""
    key = bytes.fromhex(salt_key)
    merchants: dict[str, dict[str, list[str]]] = {c: {} for c in draw_algorithm.CLASSES}
    token_of: dict[int, str] = {}
    for mid, region_id, credit_class in eligible_merchants(plan).iterator(chunk_size=5000):
        token = draw_algorithm.merchant_token(_salt(key, mid), mid)
        token_of[mid] = token
        cls = credit_class if credit_class in merchants else UNRATED_SAMPLED_AS
        merchants[cls].setdefault(region_id, []).append(token)
    if len(set(token_of.values())) != len(token_of):  # 80-bit tokens: never in practice; refuse rather than guess
        raise ValidationFailed(_("生成名单令牌时发生冲突，请重新批准。"))
    for by_district in merchants.values():
        for tokens in by_district.values():
            tokens.sort()
    districts = sorted({d for by_district in merchants.values() for d in by_district})
    inspectors = {
        d: sorted(inspector_roster(region=d).values_list("user_id", flat=True).distinct()) for d in districts
    }
    exclusions: dict[str, set[int]] = {}
    # The inspectors of each merchant's latest inspection (its "last time"), and declared conflicts in force.
    last_seen: set[int] = set()
    latest = (
        Inspection.objects.filter(merchant__region_id__in=districts)
        .order_by("merchant_id", "-inspected_on", "-id")
        .values_list("merchant_id", "inspector_1_id", "inspector_2_id")
    )
    for mid, first, second in latest.iterator(chunk_size=5000):
        if mid in last_seen:
            continue
        last_seen.add(mid)
        if mid in token_of:
            exclusions.setdefault(token_of[mid], set()).update(i for i in (first, second) if i is not None)
    conflicts = InspectorConflict.objects.filter(
        withdrawn_at__isnull=True, merchant__region_id__in=districts
    ).values_list("merchant_id", "inspector_id")
    for mid, inspector in conflicts:
        if mid in token_of:
            exclusions.setdefault(token_of[mid], set()).add(inspector)
    frozen = {
        "algorithm": draw_algorithm.ALGORITHM,
        "plan": plan.pk,
        "shares_bp": {c: int(share * 100) for c, share in plan.shares().items()},
        "min_count": plan.min_count,
        "max_count": plan.max_count,
        "merchants": {c: by_district for c, by_district in merchants.items() if by_district},
        "inspectors": inspectors,
        "exclusions": {t: sorted(ids) for t, ids in sorted(exclusions.items())},
    }
    return frozen, {token: mid for mid, token in token_of.items()}


def spot_check_plan_approve(*, plan_id: int, actor: User | None) -> SpotCheckPlan:
    """Approve a draft: pick the secret seed, freeze the eligible merchants (per class, as tokens) and the
    inspectors (per district) with the exclusions, and publish SHA-256 of the seed and of the lists.

    Refused, with nothing written, when nobody in scope can be drawn or a district has fewer than two
    eligible inspectors for some merchant (the district is named)."""
    with transaction.atomic():
        plan = _locked_plan(plan_id)
        _require_planner(actor, plan.region_id)
        PLAN_WORKFLOW.check(plan.status, PlanStatus.APPROVED)
        if not plan.items:
            raise ValidationFailed(_("请至少选择一项检查事项。"), details={"field": "items"})
        seed = secrets.token_hex(32)
        salt_key = secrets.token_hex(32)
        frozen, index = _freeze(plan, salt_key)
        if not index:
            raise ValidationFailed(_("抽查范围内没有可抽取的在营市场主体，请调整抽查范围。"))
        short = draw_algorithm.short_of_inspectors(frozen)
        if short:
            names = "、".join(Region.objects.get(code=c).full_name for c in short)
            raise ValidationFailed(
                _("%(names)s 的在册检查人员不足两名（已排除上次检查人员和回避人员），不能抽取；请先补充检查人员名册。")
                % {"names": names},
                details={"districts": short},
            )
        SpotCheckFreeze.objects.create(
            plan=plan, frozen=frozen, merchant_index=index, secret_seed=seed, salt_key=salt_key
        )
        digest = draw_algorithm.frozen_digest(frozen)
        PLAN_WORKFLOW.transition(
            plan,
            PlanStatus.APPROVED,
            actor=actor,
            fields={
                "seed_commitment": draw_algorithm.commitment(seed),
                "frozen_digest": digest,
                "approved_at": timezone.now(),
                "approved_by": _user(actor),
            },
            data={"commitment": draw_algorithm.commitment(seed), "frozen_digest": digest, "eligible": len(index)},
        )
        transaction.on_commit(public_pages_changed)  # the commitment is on /spot-checks/<id>/ from now on
    return plan


def spot_check_plan_draw(*, plan_id: int, actor: User | None) -> SpotCheckPlan:
    """Draw an approved plan once: run ``draw.draw(seed, frozen lists)``, make one task per drawn merchant
    with its two inspectors, and reveal the seed. A second draw (or a parallel one) is refused."""
    with transaction.atomic():
        plan = _locked_plan(plan_id)
        _require_planner(actor, plan.region_id)
        if plan.status != PlanStatus.APPROVED:
            if plan.seed:
                raise TransitionNotAllowed(_("该抽查计划已抽取，抽取结果不能重做或修改。"))
            PLAN_WORKFLOW.check(plan.status, PlanStatus.DRAWN)
        freeze = SpotCheckFreeze.objects.defer("merchant_index").get(plan=plan)
        try:
            drawn = draw_algorithm.draw(freeze.secret_seed, freeze.frozen)
        except draw_algorithm.DrawError as exc:
            region = Region.objects.filter(code=exc.district).first()
            raise ValidationFailed(
                _("%(name)s 的在册检查人员不足两名，不能抽取。") % {"name": region.full_name if region else exc.district},
                details={"districts": [exc.district]},
            ) from None
        key = bytes.fromhex(freeze.salt_key)
        index = _merchant_ids_of(freeze, [row["token"] for row in drawn])
        opened = {row["token"]: (index[row["token"]], _salt(key, index[row["token"]])) for row in drawn}
        PLAN_WORKFLOW.transition(
            plan,
            PlanStatus.DRAWN,
            actor=actor,
            fields={
                "seed": freeze.secret_seed,
                "drawn_count": len(drawn),
                "drawn_at": timezone.now(),
                "drawn_by": _user(actor),
            },
            data={"seed": freeze.secret_seed, "drawn": len(drawn)},
        )
        _insert_tasks(plan, drawn, opened)
        transaction.on_commit(public_pages_changed)  # the seed is revealed on the public page
    return plan


def _merchant_ids_of(freeze: SpotCheckFreeze, tokens: list[str]) -> dict[str, int]:
    """token → merchant id for the drawn tokens only. On PostgreSQL the database looks them up inside the
    index (140,000 keys) instead of sending all of it to be parsed here."""
    if connection.vendor != "postgresql":
        index = SpotCheckFreeze.objects.values_list("merchant_index", flat=True).get(pk=freeze.pk)
        return {t: index[t] for t in tokens}
    table = connection.ops.quote_name(SpotCheckFreeze._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.key, e.value FROM {table} f, jsonb_each_text(f.merchant_index) e "  # noqa: S608 - _meta
            "WHERE f.id = %s AND e.key = ANY(%s)",
            [freeze.pk, tokens],
        )
        return {key: int(value) for key, value in cursor.fetchall()}


def _insert_tasks(plan: SpotCheckPlan, drawn: list[dict], opened: dict[str, tuple[int, str]]) -> None:
    """One task per drawn row, in draw order. On PostgreSQL one ``INSERT … SELECT FROM unnest(arrays)``
    (a 140,000-merchant plan draws ~18,000 tasks; the ORM's per-value preparation alone took seconds)."""
    columns = {
        "merchant_id": [opened[r["token"]][0] for r in drawn],
        "region_id": [r["district"] for r in drawn],
        "credit_class": [r["class"] for r in drawn],
        "draw_rank": list(range(1, len(drawn) + 1)),
        "token": [r["token"] for r in drawn],
        "salt": [opened[r["token"]][1] for r in drawn],
        "inspector_1_id": [r["inspectors"][0] for r in drawn],
        "inspector_2_id": [r["inspectors"][1] for r in drawn],
    }
    if connection.vendor != "postgresql":
        SpotCheckTask.objects.bulk_create(
            [
                SpotCheckTask(plan=plan, due_on=plan.due_on, **{k: v[i] for k, v in columns.items()})
                for i in range(len(drawn))
            ],
            batch_size=2000,
        )
        return
    types = {"merchant_id": "bigint", "draw_rank": "integer", "inspector_1_id": "bigint", "inspector_2_id": "bigint"}
    table = connection.ops.quote_name(SpotCheckTask._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    arrays = ", ".join(f"%s::{types.get(c, 'text')}[]" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (plan_id, due_on, status, closed_note, {names}) "  # noqa: S608 - names from _meta
            f"SELECT %s, %s, %s, '', * FROM unnest({arrays})",
            [plan.pk, plan.due_on, TaskStatus.OPEN, *columns.values()],
        )


def spot_check_plan_publish(*, plan_id: int, actor: User | None) -> SpotCheckPlan:
    """Publish a completed plan's results (一公开), due within 20 working days of completion."""
    with transaction.atomic():
        plan = _locked_plan(plan_id)
        _require_planner(actor, plan.region_id)
        PLAN_WORKFLOW.transition(plan, PlanStatus.PUBLISHED, actor=actor, fields={"published_at": timezone.now()})
        transaction.on_commit(public_pages_changed)  # /spot-checks/, the results and the merchants' profiles
    return plan


def _advance_plan(plan_id: int, actor: User | None) -> None:
    """After a task finished: the plan is in progress, and completed once no task is left to do."""
    plan = _locked_plan(plan_id)
    if plan.status == PlanStatus.DRAWN:
        PLAN_WORKFLOW.transition(plan, PlanStatus.IN_PROGRESS, actor=actor)
    if plan.status == PlanStatus.IN_PROGRESS and not plan.tasks.exclude(status__in=TASK_FINISHED).exists():
        today = timezone.localdate()
        PLAN_WORKFLOW.transition(
            plan,
            PlanStatus.COMPLETED,
            actor=actor,
            fields={
                "completed_at": timezone.now(),
                "publish_due_on": workdays.add_working_days(today, PUBLISH_WITHIN_WORKING_DAYS),
            },
        )


# --- tasks ---------------------------------------------------------------------------------------


def _locked_task(task_id: int) -> SpotCheckTask:
    task = (
        SpotCheckTask.objects.select_for_update(of=("self",))
        .select_related("plan", "merchant", "inspector_1", "inspector_2")
        .filter(pk=task_id)
        .first()
    )
    if task is None:
        raise NotFound(_("抽查任务不存在。"))
    return task


def _require_task_region(actor: User | None, task: SpotCheckTask) -> None:
    if actor is not None and not user_covers_region(actor, task.region_id):
        raise NotPermitted(_("只能处理本辖区的抽查任务。"))


def _require_task_recorder(actor: User | None, task: SpotCheckTask) -> None:
    """Who records a task's result: one of its two drawn inspectors, or a planner (city bureau or district
    branch officer) of the task's region who may change tasks (entering the visit's paper record), a
    superuser, or the system. Another inspector of the district is refused: the draw chose the pair."""
    _require_task_region(actor, task)
    if actor is None or is_unrestricted(actor) or actor.pk in (task.inspector_1_id, task.inspector_2_id):
        return
    if staff_role(actor) not in PLANNER_ROLES or not actor.has_perm("spotchecks.change_spotchecktask"):
        raise NotPermitted(
            _("只有本任务抽取的两名检查人员，或本辖区可管理抽查任务的市场监管局、分局工作人员，可以录入检查结果。")
        )


def spot_check_task_record(
    *,
    task_id: int,
    actor: User | None,
    inspected_on: date,
    findings: Mapping[str, str],
    outcome: str,
    notes: str = "",
    published: bool = True,
) -> SpotCheckTask:
    """Record a drawn visit: an ``Inspection`` through ``inspection_record`` by the task's two inspectors,
    linked to the task; the task is done and the plan moves on (in progress, completed)."""
    with transaction.atomic():
        task = _locked_task(task_id)
        _require_task_recorder(actor, task)
        TASK_WORKFLOW.check(task.status, TaskStatus.DONE)
        outside = set(findings or {}) - set(task.plan.items or [])
        if outside:
            labels = "、".join(str(label) for name, label in INSPECTION_ITEMS if name in outside) or "、".join(outside)
            raise ValidationFailed(
                _("本次抽查计划不含这些检查事项：%(items)s。") % {"items": labels}, details={"field": "findings"}
            )
        inspection = inspection_record(
            merchant=task.merchant,
            inspected_on=inspected_on,
            findings=dict(findings or {}),
            outcome=outcome,
            actor=actor,
            inspector_1=task.inspector_1,
            inspector_2=task.inspector_2,
            plan=task.plan.title,
            notes=notes,
            published=published,
        )
        TASK_WORKFLOW.transition(
            task, TaskStatus.DONE, actor=actor, fields={"inspection": inspection, "finished_at": timezone.now()}
        )
        _advance_plan(task.plan_id, actor)
    return task


def spot_check_task_mark_closed(*, task_id: int, actor: User | None, note: str = "") -> SpotCheckTask:
    """The drawn merchant closed (suspended or deregistered) before the visit: recorded, never replaced."""
    with transaction.atomic():
        task = _locked_task(task_id)
        _require_task_region(actor, task)
        TASK_WORKFLOW.check(task.status, TaskStatus.MERCHANT_CLOSED)
        if task.merchant.status == MerchantStatus.OPERATING:
            raise ValidationFailed(
                _("该市场主体在登记册中仍为存续状态；请先在登记册中更正其经营状态，再记录为已停业／注销。")
            )
        TASK_WORKFLOW.transition(
            task,
            TaskStatus.MERCHANT_CLOSED,
            actor=actor,
            note=note,
            fields={"closed_note": (note or task.merchant.get_status_display())[:200], "finished_at": timezone.now()},
        )
        _advance_plan(task.plan_id, actor)
    return task


def spot_check_tasks_escalate_overdue(*, today: date | None = None) -> int:
    """Daily sweep: every open task past its due date is escalated (督办) once to the level above the
    plan's issuing region, like an overdue complaint. Idempotent; returns how many it escalated."""
    day = today or timezone.localdate()
    escalated = 0
    overdue = SpotCheckTask.objects.filter(status=TaskStatus.OPEN, due_on__lt=day).select_related("plan__region")
    for task in overdue.iterator(chunk_size=500):
        region = task.plan.region
        try:
            TASK_WORKFLOW.transition(
                task,
                TaskStatus.ESCALATED,
                actor=None,
                note=str(task.due_on),
                fields={"escalated_to_id": region.parent_id or region.code, "escalated_at": timezone.now()},
                data={"due_on": str(task.due_on), "to_region": region.parent_id or region.code},
            )
        except (ConcurrentUpdate, TransitionNotAllowed):
            continue  # recorded or closed meanwhile
        escalated += 1
    return escalated


# --- conflicts of interest -----------------------------------------------------------------------


def inspector_conflict_declare(*, inspector: User, merchant: Merchant, reason: str, actor: User | None) -> InspectorConflict:
    """Declare that ``inspector`` may not inspect ``merchant`` (kin, shareholding, former employment…)."""
    if actor is not None and not user_covers_region(actor, merchant.region_id):
        raise NotPermitted(_("只能为本辖区的市场主体登记回避。"))
    if not inspector_roster(region=None).filter(user=inspector).exists():
        raise ValidationFailed(_("所选人员不在检查人员名册中。"), details={"field": "inspector"})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("请填写回避事由。"), details={"field": "reason"})
    with transaction.atomic():
        existing = (
            InspectorConflict.objects.select_for_update()
            .filter(inspector=inspector, merchant=merchant, withdrawn_at__isnull=True)
            .first()
        )
        if existing is not None:
            return existing
        conflict = InspectorConflict.objects.create(
            inspector=inspector, merchant=merchant, reason=reason[:200], declared_by=_user(actor)
        )
        audit_log(actor=actor, action=AuditAction.CONFLICT_DECLARE, target=conflict, note=reason[:200])
    return conflict


def inspector_conflict_withdraw(*, conflict_id: int, actor: User | None, reason: str = "") -> InspectorConflict:
    with transaction.atomic():
        conflict = InspectorConflict.objects.select_for_update().select_related("merchant").filter(pk=conflict_id).first()
        if conflict is None:
            raise NotFound(_("回避申报不存在。"))
        if actor is not None and not user_covers_region(actor, conflict.merchant.region_id):
            raise NotPermitted(_("只能处理本辖区的回避申报。"))
        if conflict.withdrawn_at is None:
            conflict.withdrawn_at = timezone.now()
            conflict.save(update_fields=["withdrawn_at"])
            audit_log(actor=actor, action=AuditAction.CONFLICT_WITHDRAW, target=conflict, note=reason)
    return conflict
