{#- One row per live call (`uid`), with the fields calls have. -#}
{{ config(materialized='view') }}

select
  uid,
  source_id,
  activity_at as called_at,
  activity_date,
  ingested_at,
  subject,
  summary,
  direction,
  duration_seconds,
  outbound_phone_number,
  -- a call logged in the CRM after the fact (tag logged_call) carries its day only, at midnight
  {{ peopleai.json_array_contains_text('tags', 'logged_call') }} as is_logged_call,
  total_participants,
  internal_participants,
  external_participants,
  contacts_participants,
  account_crm_id,
  account_name,
  opportunity_crm_id,
  lead_crm_id,
  crm_matched_to,
  crm_pushed,
  crm_pushed_at
from {{ ref('stg_peopleai__activities') }}
where activity_type = 'call'
