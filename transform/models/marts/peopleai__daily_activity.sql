{#- One row per day of the date spine and activity type (zero counts included): all live activities. -#}

with counts as (
  select
    activity_date,
    activity_type,
    count(*) as activity_count,
    count(distinct account_crm_id) as account_count,
    sum(coalesce(duration_seconds, 0)) as duration_seconds
  from {{ ref('stg_peopleai__activities') }}
  group by activity_date, activity_type
)

select
  spine.date_day,
  types.activity_type,
  {{ peopleai.as_bigint('coalesce(counts.activity_count, 0)') }} as activity_count,
  {{ peopleai.as_bigint('coalesce(counts.account_count, 0)') }} as account_count,
  {{ peopleai.as_bigint('coalesce(counts.duration_seconds, 0)') }} as duration_seconds
from {{ ref('int_peopleai__date_spine') }} as spine
cross join {{ ref('int_peopleai__activity_types') }} as types
left join counts
  on counts.activity_date = spine.date_day
 and counts.activity_type = types.activity_type
