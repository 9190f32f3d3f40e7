{#- One row per live meeting (`uid`), with the fields meetings have. -#}
{{ config(materialized='view') }}

select
  uid,
  source_id,
  activity_at as scheduled_at,
  activity_date,
  ingested_at,
  subject,
  summary,
  status as meeting_status,
  start_at,
  end_at,
  duration_seconds,
  is_all_day,
  location,
  total_participants,
  internal_participants,
  external_participants,
  contacts_participants,
  accepted_participants,
  declined_participants,
  tentative_participants,
  account_crm_id,
  account_name,
  opportunity_crm_id,
  lead_crm_id,
  crm_matched_to,
  crm_pushed,
  crm_pushed_at
from {{ ref('stg_peopleai__activities') }}
where activity_type = 'meeting'
