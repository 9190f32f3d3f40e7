{#-
  Time handling. The loaders store the tap's RFC 3339 UTC timestamps as naive `TIMESTAMP`
  (DuckDB) and `timestamp without time zone` (PostgreSQL); staging makes them `timestamptz`,
  reading the naive values as UTC whatever the session's time zone is.
-#}

{#- `column` as a UTC timestamptz, given the type the loader gave it (naive, with zone, text). -#}
{% macro to_utc(column, data_type) -%}
  {%- set kind = (data_type or '') | lower -%}
  {%- if 'with time zone' in kind or kind == 'timestamptz' -%}
    {{ column }}
  {%- elif 'timestamp' in kind or kind == 'datetime' -%}
    {{ peopleai.naive_to_utc(column) }}
  {%- else -%}
    cast({{ column }} as {{ peopleai.timestamptz_type() }})
  {%- endif -%}
{%- endmacro %}

{% macro naive_to_utc(column) -%}
  {{ return(adapter.dispatch('naive_to_utc', 'peopleai')(column)) }}
{%- endmacro %}

{% macro duckdb__naive_to_utc(column) -%}
  timezone('UTC', {{ column }})
{%- endmacro %}

{% macro postgres__naive_to_utc(column) -%}
  ({{ column }} at time zone 'UTC')
{%- endmacro %}


{#- The UTC calendar date of a timestamptz, whatever the session's time zone. -#}
{% macro utc_date(expression) -%}
  {{ return(adapter.dispatch('utc_date', 'peopleai')(expression)) }}
{%- endmacro %}

{% macro duckdb__utc_date(expression) -%}
  cast(timezone('UTC', {{ expression }}) as date)
{%- endmacro %}

{% macro postgres__utc_date(expression) -%}
  cast(({{ expression }} at time zone 'UTC') as date)
{%- endmacro %}


{% macro timestamptz_type() -%}
  {{ return(adapter.dispatch('timestamptz_type', 'peopleai')()) }}
{%- endmacro %}

{% macro default__timestamptz_type() -%} timestamptz {%- endmacro %}


{#- `days` days before a date expression, as a date. -#}
{% macro days_before(date_expression, days) -%}
  cast({{ dbt.dateadd('day', -days, date_expression) }} as date)
{%- endmacro %}


{#-
  A date spine: one row (`date_day`) per day from `start_date` to `end_date`, both included.
  Both are SQL expressions of type date. Written here rather than taken from dbt_utils: no dbt
  Hub packages are downloaded at run time.
-#}
{% macro date_spine(start_date, end_date) -%}
  {{ return(adapter.dispatch('date_spine', 'peopleai')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_spine(start_date, end_date) -%}
  select cast(spine.day_start as date) as date_day
  from generate_series(
    cast({{ start_date }} as timestamp),
    cast({{ end_date }} as timestamp),
    interval '1 day'
  ) as spine(day_start)
{%- endmacro %}


{#- The day "last 30/90 days" are counted up to: the var, or the newest ingest date loaded. -#}
{% macro as_of_date(activities_relation) -%}
  {%- set configured = var('peopleai_as_of_date', env_var('PEOPLEAI_AS_OF_DATE', '')) -%}
  {%- if configured -%}
    cast('{{ configured }}' as date)
  {%- else -%}
    (select max(ingested_date) from {{ activities_relation }})
  {%- endif -%}
{%- endmacro %}
