{#-
  JSON access that differs between the warehouses. Staging turns every nested column into one
  JSON type per warehouse (DuckDB `JSON`; PostgreSQL `jsonb`, also for the loader's `text[]` and
  `jsonb[]` arrays), so the models below staging need only these few macros.
  `path` is a list of object keys, e.g. ['account', 'crm_id'].
-#}

{% macro json_text(expression, path) -%}
  {{ return(adapter.dispatch('json_text', 'peopleai')(expression, path)) }}
{%- endmacro %}

{% macro duckdb__json_text(expression, path) -%}
  json_extract_string({{ expression }}, '$.{{ path | join(".") }}')
{%- endmacro %}

{% macro postgres__json_text(expression, path) -%}
  ({{ expression }} #>> '{ {{- path | join(",") -}} }')
{%- endmacro %}


{% macro json_get(expression, path) -%}
  {{ return(adapter.dispatch('json_get', 'peopleai')(expression, path)) }}
{%- endmacro %}

{% macro duckdb__json_get(expression, path) -%}
  json_extract({{ expression }}, '$.{{ path | join(".") }}')
{%- endmacro %}

{% macro postgres__json_get(expression, path) -%}
  ({{ expression }} #> '{ {{- path | join(",") -}} }')
{%- endmacro %}


{#- True when the value at `path` is a JSON object (a CRM match is present). -#}
{% macro json_is_object(expression, path) -%}
  {{ return(adapter.dispatch('json_is_object', 'peopleai')(expression, path)) }}
{%- endmacro %}

{% macro duckdb__json_is_object(expression, path) -%}
  coalesce(json_type({{ expression }}, '$.{{ path | join(".") }}') = 'OBJECT', false)
{%- endmacro %}

{% macro postgres__json_is_object(expression, path) -%}
  coalesce(jsonb_typeof({{ expression }} #> '{ {{- path | join(",") -}} }') = 'object', false)
{%- endmacro %}


{% macro json_type_name() -%}
  {{ return(adapter.dispatch('json_type_name', 'peopleai')()) }}
{%- endmacro %}

{% macro duckdb__json_type_name() -%} json {%- endmacro %}

{% macro postgres__json_type_name() -%} jsonb {%- endmacro %}


{#- A loaded nested column as the warehouse's one JSON type: DuckDB `JSON`; PostgreSQL `jsonb`,
    whether the loader made it `jsonb`, `text[]` (string arrays) or `jsonb[]` (object arrays). -#}
{% macro to_json(column) -%}
  {{ return(adapter.dispatch('to_json', 'peopleai')(column)) }}
{%- endmacro %}

{% macro duckdb__to_json(column) -%}
  cast({{ column }} as json)
{%- endmacro %}

{% macro postgres__to_json(column) -%}
  to_jsonb({{ column }})
{%- endmacro %}


{#-
  The elements of a JSON array column, one row each:
  `select <key_columns>, element_index (1-based), element from <relation>`.
  Rows whose value is not an array (null, or a scalar) give no element.
-#}
{% macro json_array_elements(relation, key_columns, array_column) -%}
  {{ return(adapter.dispatch('json_array_elements', 'peopleai')(relation, key_columns, array_column)) }}
{%- endmacro %}

{% macro duckdb__json_array_elements(relation, key_columns, array_column) -%}
  select {{ key_columns | join(', ') }},
         generate_subscripts(elements, 1) as element_index,
         unnest(elements) as element
  from (
    select {{ key_columns | join(', ') }},
           json_extract({{ array_column }}, '$[*]') as elements
    from {{ relation }}
    where json_type({{ array_column }}) = 'ARRAY'
  ) as arrays
{%- endmacro %}

{% macro postgres__json_array_elements(relation, key_columns, array_column) -%}
  select {% for column in key_columns %}arrays.{{ column }}, {% endfor -%}
         items.element_index, items.element
  from {{ relation }} as arrays
  cross join lateral jsonb_array_elements(
    case when jsonb_typeof(arrays.{{ array_column }}) = 'array' then arrays.{{ array_column }} end
  ) with ordinality as items(element, element_index)
{%- endmacro %}


{#- True when a JSON array of strings contains `value`. -#}
{% macro json_array_contains_text(expression, value) -%}
  {{ return(adapter.dispatch('json_array_contains_text', 'peopleai')(expression, value)) }}
{%- endmacro %}

{% macro duckdb__json_array_contains_text(expression, value) -%}
  coalesce(list_contains(json_extract_string({{ expression }}, '$[*]'), '{{ value }}'), false)
{%- endmacro %}

{% macro postgres__json_array_contains_text(expression, value) -%}
  coalesce({{ expression }} @> '["{{ value }}"]'::jsonb, false)
{%- endmacro %}
