import pytest
from django.contrib.contenttypes.models import ContentType

from integrity_portal.core.audit import audit_entries_for
from integrity_portal.core.errors import ConcurrentUpdate, TransitionNotAllowed
from integrity_portal.core.workflow import Workflow
from merchants.audit_actions import AuditAction as MerchantAction
from merchants.models import Merchant, MerchantStatus
from tests.factories import MerchantFactory, UserFactory

# The merchant status field is a convenient real model to exercise the helper with.
FLOW = Workflow(
    "merchant_status",
    {
        MerchantStatus.OPERATING: {MerchantStatus.SUSPENDED, MerchantStatus.DEREGISTERED},
        MerchantStatus.SUSPENDED: {MerchantStatus.OPERATING, MerchantStatus.DEREGISTERED},
    },
    labels=dict(MerchantStatus.choices),
    # Any registered members do for the helper; an app's map names its own.
    actions={
        MerchantStatus.OPERATING: MerchantAction.MERCHANT_UPDATE,
        MerchantStatus.SUSPENDED: MerchantAction.MERCHANT_UPDATE,
        MerchantStatus.DEREGISTERED: MerchantAction.MERCHANT_DELETE,
    },
)


def test_allowed_transition_updates_row_and_writes_audit(regions):
    merchant, actor = MerchantFactory(), UserFactory()
    FLOW.transition(merchant, MerchantStatus.SUSPENDED, actor=actor, note="整改")
    assert Merchant.objects.get(pk=merchant.pk).status == MerchantStatus.SUSPENDED
    entry = audit_entries_for(merchant).get()
    assert (entry.actor, entry.from_status, entry.to_status, entry.note) == (
        actor,
        MerchantStatus.OPERATING,
        MerchantStatus.SUSPENDED,
        "整改",
    )
    assert entry.content_type == ContentType.objects.get_for_model(Merchant)


def test_refused_transition_leaves_state_and_log_untouched(regions):
    merchant = MerchantFactory(status=MerchantStatus.DEREGISTERED)
    with pytest.raises(TransitionNotAllowed):
        FLOW.transition(merchant, MerchantStatus.OPERATING, actor=None)
    assert Merchant.objects.get(pk=merchant.pk).status == MerchantStatus.DEREGISTERED
    assert not audit_entries_for(merchant).exists()


def test_stale_copy_loses_to_concurrent_change(regions):
    merchant = MerchantFactory()
    stale = Merchant.objects.get(pk=merchant.pk)
    FLOW.transition(merchant, MerchantStatus.SUSPENDED, actor=None)
    with pytest.raises(ConcurrentUpdate):
        FLOW.transition(stale, MerchantStatus.DEREGISTERED, actor=None)
    assert Merchant.objects.get(pk=merchant.pk).status == MerchantStatus.SUSPENDED
    assert audit_entries_for(merchant).count() == 1
