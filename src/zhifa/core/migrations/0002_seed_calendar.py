from django.db import migrations


def seed(apps, schema_editor):
    # The holiday table starts from the chinese-calendar package; administrators add new
    # years when the State Council publishes them.
    from zhifa.core.calendar import seed_from_package

    seed_from_package(
        2020,
        day_model=apps.get_model("core", "CalendarDay"),
        year_model=apps.get_model("core", "HolidayYear"),
    )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
