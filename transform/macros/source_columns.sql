{#-
  What the loader created, read at run time, so that the models work before and after the tap
  or the loader adds columns (`additional_fields`, `_sdc_extracted_at`, `_sdc_deleted_at`) or
  a `reconciliations` table.
-#}

{#- {lower-case column name: data type} of a relation; empty while dbt only parses. -#}
{% macro relation_columns(relation) -%}
  {%- set found = {} -%}
  {%- if execute and relation is not none -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
      {%- do found.update({column.name | lower: column.data_type}) -%}
    {%- endfor -%}
  {%- endif -%}
  {{ return(found) }}
{%- endmacro %}


{#- The loader's relation `identifier` beside the `activities` source, or none if it is absent. -#}
{% macro sibling_relation(identifier) -%}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- set activities = source('peopleai', 'activities') -%}
  {{ return(adapter.get_relation(
      database=activities.database, schema=activities.schema, identifier=identifier)) }}
{%- endmacro %}


{#-
  A source column cast to the type staging gives it (`text`, `bigint`, `boolean`, `json`,
  `timestamp` = UTC timestamptz), or a typed NULL when the loader has no such column.
-#}
{% macro source_column(columns, name, kind, prefix='') -%}
  {%- set quoted = prefix ~ adapter.quote(name) -%}
  {%- set present = name in columns -%}
  {%- if kind == 'json' -%}
    {%- if present -%}{{ peopleai.to_json(quoted) }}{%- else -%}cast(null as {{ peopleai.json_type_name() }}){%- endif -%}
  {%- elif kind == 'timestamp' -%}
    {%- if present -%}{{ peopleai.to_utc(quoted, columns[name]) }}{%- else -%}cast(null as {{ peopleai.timestamptz_type() }}){%- endif -%}
  {%- else -%}
    {%- set types = {'text': dbt.type_string(), 'bigint': dbt.type_bigint(), 'boolean': dbt.type_boolean()} -%}
    cast({% if present %}{{ quoted }}{% else %}null{% endif %} as {{ types[kind] }})
  {%- endif -%}
{%- endmacro %}
