from django.contrib.gis.db.backends.spatialite import base, schema


class SpatialiteSchemaEditor(schema.SpatialiteSchemaEditor):
    sql_drop_spatial_index = "DROP TABLE IF EXISTS idx_%(table)s_%(column)s"


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = SpatialiteSchemaEditor
