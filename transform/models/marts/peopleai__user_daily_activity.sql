{#-
  One row per internal user (participant of type internal, by peopleai_id), day and activity
  type, for every day of the date spine from the user's first to last activity (zero counts
  included), with the user's name, email and team as their most recently processed activity
  lists them. An activity counts once per user, even if the user is listed twice in it.
-#}

with participations as (
  select
    activity_uid, peopleai_id, activity_date, activity_type, time_spent_seconds, ingested_at,
    name, email, team_name, participant_index
  from {{ ref('stg_peopleai__activity_participants') }}
  where is_internal and peopleai_id is not null
),

users as (
  select peopleai_id, min(activity_date) as first_day, max(activity_date) as last_day
  from participations
  group by peopleai_id
),

latest as (
  select
    peopleai_id,
    name as user_name,
    email as user_email,
    team_name,
    row_number() over (
      partition by peopleai_id
      order by ingested_at desc, activity_uid desc, participant_index
    ) as recency
  from participations
),

counts as (
  select
    peopleai_id,
    activity_date,
    activity_type,
    count(distinct activity_uid) as activity_count,
    sum(coalesce(time_spent_seconds, 0)) as time_spent_seconds
  from participations
  group by peopleai_id, activity_date, activity_type
)

select
  users.peopleai_id,
  latest.user_name,
  latest.user_email,
  latest.team_name,
  spine.date_day,
  types.activity_type,
  {{ peopleai.as_bigint('coalesce(counts.activity_count, 0)') }} as activity_count,
  {{ peopleai.as_bigint('coalesce(counts.time_spent_seconds, 0)') }} as time_spent_seconds
from users
inner join latest
  on latest.peopleai_id = users.peopleai_id
 and latest.recency = 1
inner join {{ ref('int_peopleai__date_spine') }} as spine
  on spine.date_day between users.first_day and users.last_day
cross join {{ ref('int_peopleai__activity_types') }} as types
left join counts
  on counts.peopleai_id = users.peopleai_id
 and counts.activity_date = spine.date_day
 and counts.activity_type = types.activity_type
