"""PostgreSQL: a report's steps and transitions partitioned by month (issue 11), on an existing
database as on a new one; every row, index, foreign key and the id sequence kept. Other
databases: nothing to do. See zhifa.core.partitions."""

from django.db import migrations

from zhifa.core import partitions

# The tables this migration converts, named here rather than read from partitions.PARTITIONED,
# so that a table partitioned later (by its own migration) cannot change what this one does.
TABLES = {"dispatch_step": "started_at", "dispatch_transition": "at"}


def forward(apps, schema_editor):
    for table, column in TABLES.items():
        partitions.convert(table, column, conn=schema_editor.connection)


def backward(apps, schema_editor):
    for table in TABLES:
        partitions.unconvert(table, conn=schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0008_summaries")]

    operations = [migrations.RunPython(forward, backward)]
