{#- One row per live email (`uid`), with the fields emails have. -#}
{{ config(materialized='view') }}

select
  uid,
  source_id,
  activity_at as sent_at,
  activity_date,
  ingested_at,
  subject,
  summary,
  direction,
  reply_received,
  followed_meeting_source_id,
  in_reply_to_source_id,
  follow_up_email_source_id,
  attachment_file_names,
  total_participants,
  internal_participants,
  external_participants,
  contacts_participants,
  participants_on_to_line,
  participants_on_cc_line,
  account_crm_id,
  account_name,
  opportunity_crm_id,
  lead_crm_id,
  crm_matched_to,
  crm_pushed,
  crm_pushed_at
from {{ ref('stg_peopleai__activities') }}
where activity_type = 'email'
