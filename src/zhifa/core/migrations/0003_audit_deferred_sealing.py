"""Audit entries are sealed into the chain after commit: a chain position column, hash nullable.

Existing entries were chained in id order (ids were assigned under the chain's lock), so their
position is their rank by id; their hashes do not change.
"""

from django.db import migrations, models


def backfill(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    batch = []
    for n, pk in enumerate(AuditEntry.objects.order_by("id").values_list("id", flat=True).iterator(), 1):
        batch.append(AuditEntry(id=pk, seq=n))
        if len(batch) >= 1000:
            AuditEntry.objects.bulk_update(batch, ["seq"])
            batch = []
    if batch:
        AuditEntry.objects.bulk_update(batch, ["seq"])
    if schema_editor.connection.vendor == "postgresql":
        # Ids used to be set explicitly; the sequence must continue after the largest one.
        with schema_editor.connection.cursor() as cur:
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('core_auditentry', 'id'), "
                "COALESCE((SELECT MAX(id) FROM core_auditentry), 0) + 1, false)"
            )


class Migration(migrations.Migration):
    dependencies = [("core", "0002_seed_calendar")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="seq",
            field=models.BigIntegerField(null=True, unique=True, verbose_name="链序号"),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="hash",
            field=models.CharField(max_length=64, null=True, unique=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
