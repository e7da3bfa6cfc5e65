"""PostgreSQL: the audit log partitioned by month of `at` (issue 11), on an existing database as
on a new one; every row, index and the id sequence kept, the primary key becomes (id, at), and
the unique `seq` and `hash` become unique together with `at` (zhifa.core.partitions.convert_audit,
which says what keeps the chain's uniqueness). Other databases: nothing to do; the model keeps
its global unique constraints there."""

from django.db import migrations

from zhifa.core import partitions


def forward(apps, schema_editor):
    partitions.convert_audit(conn=schema_editor.connection)


def backward(apps, schema_editor):
    partitions.unconvert_audit(conn=schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_audit_entry_county")]

    operations = [migrations.RunPython(forward, backward)]
