{#-
  Per CRM object (`key_column` of stg_peopleai__activities): its latest name and attributes, and
  its touches up to the as-of date. A touch is a live activity dated on or before the as-of date;
  later ones (meetings already scheduled) are counted as scheduled_activity_count.
-#}
{% macro crm_object_touches(key_column, attribute_columns) -%}
{%- set activities = ref('stg_peopleai__activities') -%}
{%- set touched = 'activities.activity_date <= activities.as_of_date' -%}
with as_of as (
  select {{ peopleai.as_of_date(activities) }} as as_of_date
),

activities as (
  select activities.*, as_of.as_of_date
  from {{ activities }} as activities
  cross join as_of
  where activities.{{ key_column }} is not null
),

latest as (
  select
    {{ key_column }},
    {%- for column in attribute_columns %}
    {{ column }},
    {%- endfor %}
    row_number() over (partition by {{ key_column }} order by ingested_at desc, uid desc) as recency
  from activities
)

select
  activities.{{ key_column }},
  {%- for column in attribute_columns %}
  max(latest.{{ column }}) as {{ column }},
  {%- endfor %}
  min(case when {{ touched }} then activities.activity_at end) as first_touch_at,
  max(case when {{ touched }} then activities.activity_at end) as last_touch_at,
  {{ peopleai.count_where(touched) }} as touch_count,
  {%- for kind in ['email', 'meeting', 'call'] %}
  {{ peopleai.count_where(touched ~ " and activities.activity_type = '" ~ kind ~ "'") }} as {{ kind }}_count,
  {%- endfor %}
  {{ peopleai.count_where('activities.activity_date between ' ~ peopleai.days_before('activities.as_of_date', 29) ~ ' and activities.as_of_date') }} as activities_last_30_days,
  {{ peopleai.count_where('activities.activity_date between ' ~ peopleai.days_before('activities.as_of_date', 89) ~ ' and activities.as_of_date') }} as activities_last_90_days,
  {{ peopleai.count_where('activities.activity_date > activities.as_of_date') }} as scheduled_activity_count,
  max(activities.as_of_date) as as_of_date
from activities
left join latest
  on latest.{{ key_column }} = activities.{{ key_column }}
 and latest.recency = 1
group by activities.{{ key_column }}
{%- endmacro %}
