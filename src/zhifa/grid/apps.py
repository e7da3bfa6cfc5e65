from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "zhifa.grid"
    verbose_name = "一张网格"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from zhifa.grid import geojson, index
        from zhifa.grid.models import GridUnit

        # Imports bump a token seen by every process; this also covers units edited one by one
        # in this process (admin fixes, tests).
        def drop(**kwargs) -> None:
            index.invalidate()
            geojson.clear_cache()

        post_save.connect(drop, sender=GridUnit, dispatch_uid="grid_index_save", weak=False)
        post_delete.connect(drop, sender=GridUnit, dispatch_uid="grid_index_delete", weak=False)
