"""Every write to the register goes through these functions (HackSoft style: services write)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import get_random_string, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrity_portal.core import ratelimit
from integrity_portal.core.actors import acting_user
from integrity_portal.core.audit import audit_log
from integrity_portal.core.client import address_key
from integrity_portal.core.errors import DomainError, NotPermitted, ValidationFailed
from integrity_portal.core.public_cache import public_pages_changed
from integrity_portal.core.roles import ROLE_GROUP_NAMES, StaffRole, sync_role_groups
from integrity_portal.core.scoping import user_covers_region
from integrity_portal.core.services import model_update

from ..audit_actions import AuditAction
from ..models import (
    ClaimCode,
    Membership,
    MembershipRole,
    Merchant,
    MerchantKind,
    MerchantStatus,
    Region,
    StaffProfile,
)
from ..search import former_names_with
from .accounts import require_confirmed_email


def _staff_text(value: str | None, label, max_length: int) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    if len(value) > max_length or any(ord(c) < 32 for c in value):
        raise ValidationFailed(
            _("%(f)s格式不正确（最多 %(n)d 个字符，不含控制字符）。") % {"f": label, "n": max_length}
        )
    return value


def staff_assign_role(
    *,
    user,
    region_code: str,
    role: str,
    actor: User | None,
    unit: str = "",
    full_name: str | None = None,
    certificate_number: str | None = None,
    roster_active: bool | None = None,
) -> StaffProfile:
    """Make ``user`` a staff member of ``region_code`` with ``role`` (and only that role's group).

    ``full_name`` and ``certificate_number`` (执法证号) are kept when None; an inspector is on the
    roster (``merchants.selectors.staff.inspector_roster``) only with a certificate number, and a
    certificate number belongs to one person. ``roster_active`` (在册) takes an inspector off the roster
    (leave, secondment) or back on it; kept when None.
    """
    if role not in StaffRole.values:
        raise ValidationFailed(_("未知的工作人员角色：%(role)s") % {"role": role})
    try:
        region = Region.objects.get(pk=region_code)
    except Region.DoesNotExist:
        raise ValidationFailed(_("未知的区划代码：%(code)s") % {"code": region_code}) from None
    defaults = {"region": region, "role": role, "unit": unit}
    full_name = _staff_text(full_name, _("姓名"), 40)
    certificate_number = _staff_text(certificate_number, _("执法证号"), 30)
    if full_name is not None:
        defaults["full_name"] = full_name
    if certificate_number is not None:
        defaults["certificate_number"] = certificate_number
    if roster_active is not None:
        defaults["roster_active"] = bool(roster_active)
    with transaction.atomic():
        if certificate_number and (
            StaffProfile.objects.filter(certificate_number=certificate_number).exclude(user=user).exists()
        ):
            raise ValidationFailed(
                _("执法证号“%(n)s”已登记给其他工作人员。") % {"n": certificate_number},
                details={"field": "certificate_number"},
            )
        if not Group.objects.filter(name=ROLE_GROUP_NAMES[role]).exists():
            sync_role_groups()
        try:
            with transaction.atomic():
                profile, _created = StaffProfile.objects.update_or_create(user=user, defaults=defaults)
        except IntegrityError:  # two appointments with one certificate number at once
            raise ValidationFailed(
                _("执法证号“%(n)s”已登记给其他工作人员。") % {"n": certificate_number},
                details={"field": "certificate_number"},
            ) from None
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        role_groups = Group.objects.filter(name__in=ROLE_GROUP_NAMES.values())
        user.groups.remove(*role_groups)
        user.groups.add(Group.objects.get(name=ROLE_GROUP_NAMES[role]))
        audit_log(
            actor=actor,
            action=AuditAction.STAFF_ASSIGN_ROLE,
            target=profile,
            to_status=role,
            data={
                "region": region.code,
                "certificate_number": profile.certificate_number,
                "roster_active": profile.roster_active,
            },
        )
    return profile


def merchant_mark_rating_stale(*, merchant_ids, reason: str) -> int:
    """Flag merchants whose facts changed, inside the caller's transaction, and queue a recompute.

    The flag is the durable record: if the task message is lost (broker down, worker
    killed) the periodic sweep recomputes every merchant still flagged. Returns the
    number of merchants flagged.
    """
    from ..models import Merchant

    ids = sorted({int(i) for i in merchant_ids if i is not None})
    if not ids:
        return 0
    # updated_at: the open data shows the flag ("new rating pending"), so incremental sync must see it.
    count = Merchant.objects.filter(pk__in=ids, rating_stale=False).update(rating_stale=True, updated_at=timezone.now())
    from integrity_portal.core.tasks import send_after_commit

    from .. import tasks

    # Broker down: the merchants stay flagged and the sweep picks them up.
    send_after_commit(
        tasks.recompute_merchant_ratings, (ids,), fallback=f"recompute ({reason}) left to the sweep"
    )
    return count


# --- Claim codes, claiming and memberships -------------------------------------------------

CLAIM_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed by hand
CLAIM_CODE_LENGTH = 10
CLAIM_CODE_INVALID = gettext_lazy("认领码无效或已过期")
CLAIM_TOO_MANY_ATTEMPTS = gettext_lazy("尝试次数过多，请稍后再试")


class TooManyAttempts(DomainError):
    """Too many wrong claim codes from one user or address; guessing must stay impractical."""

    status_code = 429
    code = "throttled"


def normalize_claim_code(code: str) -> str:
    """Codes are shown as ``ABCDE-FGHJK``; accept them with or without separators, any case."""
    return "".join(ch for ch in (code or "").upper() if ch not in " -\t")


def claim_code_hash(code: str) -> str:
    """Keyed hash (HMAC-SHA256 with SECRET_KEY): a leaked table cannot be brute-forced offline."""
    return salted_hmac("merchants.claim_code", normalize_claim_code(code), algorithm="sha256").hexdigest()


def format_claim_code(code: str) -> str:
    half = CLAIM_CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def claim_code_issue(*, merchant, actor: User | None) -> tuple[ClaimCode, str]:
    """Issue a one-time claim code for ``merchant``; return the row and the plain code (shown once).

    Earlier unused codes of the merchant stop working (their expiry is moved to now),
    so only the code most recently handed over can be used.
    """
    if actor is not None and not user_covers_region(actor, merchant.region_id):
        raise NotPermitted(_("只能为本辖区的市场主体发放认领码。"))
    return claim_code_create(merchant=merchant, actor=actor)


def claim_code_create(*, merchant, actor: User | None, data: dict | None = None) -> tuple[ClaimCode, str]:
    """The issue itself, once the caller has checked ``actor`` may issue for ``merchant`` (staff: its
    region, ``claim_code_issue``; a market operator: its own stall, ``services.markets``)."""
    if merchant.status == MerchantStatus.DEREGISTERED:
        raise ValidationFailed(_("已注销的市场主体不能发放认领码。"))
    plain = get_random_string(CLAIM_CODE_LENGTH, CLAIM_CODE_ALPHABET)
    now = timezone.now()
    with transaction.atomic():
        Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
        revoked = ClaimCode.objects.filter(
            merchant=merchant, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        claim = ClaimCode.objects.create(
            merchant=merchant,
            code_hash=claim_code_hash(plain),
            issued_by=acting_user(actor),
            expires_at=now + timedelta(days=settings.CLAIM_CODE_TTL_DAYS),
        )
        audit_log(
            actor=actor,
            action=AuditAction.CLAIM_CODE_ISSUE,
            target=merchant,
            data={
                "claim_code_id": claim.pk,
                "expires_at": claim.expires_at.isoformat(),
                "revoked": revoked,
                **(data or {}),
            },
        )
    return claim, plain


def merchant_claim(*, user, registration_number: str, code: str, ip: str | None = None) -> Membership:
    """Make ``user`` the owner of the merchant with this USCC or licence number, spending the code.

    A wrong registration number, a wrong, used or expired code all give the same
    error, so the form reveals neither whether a merchant exists nor which part was
    wrong. Wrong attempts are counted (``claim`` scope of ``core.ratelimit``) per user and per client
    address (``ip``, from ``core.client.client_ip``); past the limit every attempt is refused until the
    window ends. An account whose e-mail address is not confirmed yet cannot claim at all.
    """
    if not getattr(user, "is_authenticated", False):
        raise NotPermitted(_("请先登录。"))
    require_confirmed_email(user)
    idents = [f"user:{user.pk}", address_key(ip) if ip else ""]
    if not ratelimit.peek("claim", idents).allowed:
        raise TooManyAttempts(CLAIM_TOO_MANY_ATTEMPTS)
    number = (registration_number or "").strip().upper()
    plain = normalize_claim_code(code)
    merchant = None
    if number and plain:
        merchant = Merchant.objects.filter(Q(uscc=number) | Q(licence_number=number)).first()
    membership = None
    if merchant is not None:
        with transaction.atomic():
            now = timezone.now()
            spent = ClaimCode.objects.filter(
                merchant=merchant, code_hash=claim_code_hash(plain), used_at__isnull=True, expires_at__gt=now
            ).update(used_at=now, used_by=user)
            if spent:
                membership, created = Membership.objects.select_for_update().get_or_create(
                    user=user, merchant=merchant, defaults={"role": MembershipRole.OWNER}
                )
                if not created and membership.role != MembershipRole.OWNER:
                    membership.role = MembershipRole.OWNER
                    membership.save(update_fields=["role"])
                audit_log(
                    actor=user,
                    action=AuditAction.MERCHANT_CLAIM,
                    target=merchant,
                    to_status=MembershipRole.OWNER,
                    data={"membership_id": membership.pk, "user": user.get_username()},
                )
    if membership is None:
        ratelimit.record("claim", idents)
        raise ValidationFailed(CLAIM_CODE_INVALID, code="claim_invalid")
    return membership


def membership_grant(*, user, merchant, role: str, actor: User | None) -> Membership:
    """Staff approve ``user`` to act for ``merchant`` (or change their role); audited."""
    if role not in MembershipRole.values:
        raise ValidationFailed(_("未知的成员角色：%(role)s") % {"role": role})
    if actor is not None and not user_covers_region(actor, merchant.region_id):
        raise NotPermitted(_("只能为本辖区的市场主体批准成员。"))
    if not user.is_active:
        raise ValidationFailed(_("该用户账号已停用。"))
    with transaction.atomic():
        membership = Membership.objects.select_for_update().filter(user=user, merchant=merchant).first()
        before = membership.role if membership else ""
        approver = acting_user(actor)
        if membership is None:
            membership = Membership.objects.create(
                user=user, merchant=merchant, role=role, approved_by=approver
            )
        else:
            membership.role = role
            membership.approved_by = approver
            membership.save(update_fields=["role", "approved_by"])
        audit_log(
            actor=actor,
            action=AuditAction.MEMBERSHIP_GRANT,
            target=merchant,
            from_status=before,
            to_status=role,
            data={"membership_id": membership.pk, "user": user.get_username()},
        )
    return membership


#: The register facts staff edit (admin form, import). The rating columns (stars, credit class, current
#: rating, digest, stale and appeal flags) belong to the recompute and the recourse services, never to this.
REGISTER_FIELDS = (
    "name",
    "former_names",
    "kind",
    "industry",
    "status",
    "uscc",
    "licence_number",
    "legal_representative",
    "registered_on",
    "region",
    "address",
    "parent_market",
    "is_large_venue",
    "is_time_honored",
    "odr_enrolled",
)


def merchant_save(*, merchant: Merchant, actor: User | None, changed_fields: list[str] | None = None) -> Merchant:
    """Register a new merchant or save staff edits to one (admin form, import), within the actor's region.

    The form has already validated the field values; this checks the territory rules, records the
    history author and leaves an audit entry. An edit locks the row and writes only ``changed_fields``
    (None: every register field) whose value differs from the stored one (``core.services.model_update``):
    ``merchant`` may have been read before a rating recompute or another clerk's save, and a full-row
    save would write their columns back as they were. ``merchant`` is brought up to date from the row.
    """
    if actor is not None and not user_covers_region(actor, merchant.region_id):
        raise NotPermitted(_("只能登记或修改本辖区内的市场主体。"))
    if merchant.parent_market_id is not None:
        market = merchant.parent_market
        if market.kind != MerchantKind.MARKET:
            raise ValidationFailed(_("所在市场必须是类型为“市场”的市场主体。"))
        if actor is not None and not user_covers_region(actor, market.region_id):
            raise NotPermitted(_("所在市场不在您的辖区内。"))
    if merchant.pk is None:
        return _merchant_create(merchant=merchant, actor=actor)
    wanted = [f for f in (REGISTER_FIELDS if changed_fields is None else changed_fields) if f in REGISTER_FIELDS]
    with transaction.atomic():
        locked = Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
        if locked is None:
            raise ValidationFailed(_("该市场主体已被删除。"))
        if actor is not None and not user_covers_region(actor, locked.region_id):
            raise NotPermitted(_("只能登记或修改本辖区内的市场主体。"))
        if getattr(actor, "is_authenticated", False):
            locked._history_user = actor
        data = {f: getattr(merchant, f) for f in wanted}
        if "name" in data and data["name"] != locked.name:
            # A renamed entity stays findable under its old name (曾用名; merchants.search).
            data["former_names"] = former_names_with(data.get("former_names", locked.former_names), locked.name)
            wanted = [*wanted, "former_names"] if "former_names" not in wanted else wanted
        changed = model_update(instance=locked, fields=wanted, data=data)
        if changed:
            audit_log(actor=actor, action=AuditAction.MERCHANT_UPDATE, target=locked, data={"fields": sorted(changed)})
            # Profiles, directory, lists and open data show register facts (a stall's profile its market's
            # name): drop every cached copy once committed. Register edits are rare, so a global bump is cheap.
            transaction.on_commit(public_pages_changed)
    for field in Merchant._meta.concrete_fields:
        setattr(merchant, field.attname, getattr(locked, field.attname))
    return merchant


def _merchant_create(*, merchant: Merchant, actor: User | None) -> Merchant:
    if getattr(actor, "is_authenticated", False):
        merchant._history_user = actor
    with transaction.atomic():
        merchant.save()
        audit_log(actor=actor, action=AuditAction.MERCHANT_CREATE, target=merchant, data={"region": merchant.region_id})
        transaction.on_commit(public_pages_changed)
    return merchant


def merchant_delete(*, merchant: Merchant, actor: User | None) -> None:
    """Remove an entity from the register for good (system administrators only: staff roles hold no delete
    permission; a closed business is deregistered, not deleted).

    The row is locked before Django collects what cascades with it. A rating recompute writes history rows
    before it updates the merchant row, so with the lock taken first either the recompute committed earlier
    (and its rows are collected here) or its update finds the row gone and it drops the rows it wrote
    (``services.rating``): the rating history holds no row of a deleted entity, with no per-row foreign-key
    check on the recompute's path.
    """
    if actor is not None and not getattr(actor, "is_superuser", False):
        raise NotPermitted(_("只有系统管理员可以删除市场主体；停业的主体请办理注销。"))
    with transaction.atomic():
        locked = Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
        if locked is None:
            return
        audit_log(
            actor=actor,
            action=AuditAction.MERCHANT_DELETE,
            target=locked,
            data={"name": locked.name, "region": locked.region_id},
        )
        if getattr(actor, "is_authenticated", False):
            locked._history_user = actor
        locked.delete()
        transaction.on_commit(public_pages_changed)
