{#-
  Counts and sums as BIGINT on every warehouse. Left alone, DuckDB sums integers into HUGEINT and
  PostgreSQL sums bigints into numeric: types many BI tools and drivers read poorly.
-#}

{% macro as_bigint(expression) -%}
  cast({{ expression }} as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- How many rows of the group satisfy `condition`. -#}
{% macro count_where(condition) -%}
  {{ peopleai.as_bigint('sum(case when ' ~ condition ~ ' then 1 else 0 end)') }}
{%- endmacro %}
