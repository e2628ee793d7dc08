"""The recompute's bookkeeping moves off the rating history: the current rating's digest sits beside the
merchant's rating pointer (read without a join), and history rows are written without per-row foreign-key
checks (see ``Rating`` and ``merchant_delete`` for how deletion keeps the history clean)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_current_digests(apps, schema_editor):
    Merchant = apps.get_model("merchants", "Merchant")
    Rating = apps.get_model("merchants", "Rating")
    Merchant.objects.filter(current_rating__isnull=False).update(
        rating_digest=Subquery(Rating.objects.filter(pk=OuterRef("current_rating_id")).values("digest")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0003_lean_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="merchant",
            name="rating_digest",
            field=models.BigIntegerField(blank=True, editable=False, null=True, verbose_name="当前评定摘要"),
        ),
        migrations.RunPython(copy_current_digests, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="rating",
            name="merchant",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="ratings",
                to="merchants.merchant",
                verbose_name="市场主体",
            ),
        ),
        migrations.AlterField(
            model_name="rating",
            name="policy",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="merchants.ratingpolicy",
                verbose_name="评级规则",
            ),
        ),
    ]
