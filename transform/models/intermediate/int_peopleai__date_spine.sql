{#-
  One row per calendar day (UTC) from the earliest live activity to the latest one or the as-of
  date, whichever is later (meetings can be scheduled up to a year ahead).
-#}
{%- set activities = ref('stg_peopleai__activities') -%}

with bounds as (
  select
    min(activity_date) as first_day,
    max(activity_date) as last_activity_day,
    {{ peopleai.as_of_date(activities) }} as as_of_date
  from {{ activities }}
),

spine as (
  {{ peopleai.date_spine(
      '(select first_day from bounds)',
      '(select case when last_activity_day > as_of_date then last_activity_day else as_of_date end from bounds)') }}
)

select
  date_day,
  date_day <= (select as_of_date from bounds) as is_on_or_before_as_of_date
from spine
