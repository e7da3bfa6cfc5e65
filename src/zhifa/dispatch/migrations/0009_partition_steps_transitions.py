"""PostgreSQL: a report's steps and transitions partitioned by month (issue 11), on an existing
database as on a new one; every row, index, foreign key and the id sequence kept. Other
databases: nothing to do. See zhifa.core.partitions."""

from django.db import migrations

from zhifa.core import partitions


def forward(apps, schema_editor):
    for table, column in partitions.PARTITIONED.items():
        partitions.convert(table, column, conn=schema_editor.connection)


def backward(apps, schema_editor):
    for table in partitions.PARTITIONED:
        partitions.unconvert(table, conn=schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0008_summaries")]

    operations = [migrations.RunPython(forward, backward)]
