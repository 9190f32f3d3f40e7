{#-
  One row per account, day and activity type, for every day of the date spine from the account's
  first to its last activity (zero counts included), with the account's name (its latest, as in
  peopleai__accounts). The account of an activity is the CRM account it is matched to, or the
  account of its matched opportunity.
-#}

with activities as (
  select uid, account_crm_id, activity_date, activity_type, duration_seconds
  from {{ ref('stg_peopleai__activities') }}
  where account_crm_id is not null
),

accounts as (
  select account_crm_id, min(activity_date) as first_day, max(activity_date) as last_day
  from activities
  group by account_crm_id
),

counts as (
  select
    account_crm_id,
    activity_date,
    activity_type,
    count(*) as activity_count,
    sum(coalesce(duration_seconds, 0)) as duration_seconds
  from activities
  group by account_crm_id, activity_date, activity_type
)

select
  accounts.account_crm_id,
  names.account_name,
  spine.date_day,
  types.activity_type,
  {{ peopleai.as_bigint('coalesce(counts.activity_count, 0)') }} as activity_count,
  {{ peopleai.as_bigint('coalesce(counts.duration_seconds, 0)') }} as duration_seconds
from accounts
inner join {{ ref('peopleai__accounts') }} as names
  on names.account_crm_id = accounts.account_crm_id
inner join {{ ref('int_peopleai__date_spine') }} as spine
  on spine.date_day between accounts.first_day and accounts.last_day
cross join {{ ref('int_peopleai__activity_types') }} as types
left join counts
  on counts.account_crm_id = accounts.account_crm_id
 and counts.activity_date = spine.date_day
 and counts.activity_type = types.activity_type
