{#- One row per participant of a live activity: (activity_uid, participant_index). -#}
{%- set j = peopleai.json_text -%}

with elements as (
  {{ peopleai.json_array_elements(
      ref('stg_peopleai__activities'),
      ['uid', 'activity_type', 'activity_at', 'activity_date', 'ingested_at'],
      'participants') }}
)

select
  uid || '-' || cast(element_index as {{ dbt.type_string() }}) as activity_participant_id,
  uid as activity_uid,
  cast(element_index as {{ dbt.type_bigint() }}) as participant_index,
  activity_type,
  activity_at,
  activity_date,
  ingested_at,
  -- an integer or a digit string in the export: always text here
  {{ j('element', ['peopleai_id']) }} as peopleai_id,
  {{ j('element', ['crm_id']) }} as crm_id,
  {{ j('element', ['name']) }} as name,
  {{ j('element', ['title']) }} as title,
  {{ j('element', ['phone']) }} as phone,
  {{ j('element', ['email']) }} as email,
  {{ j('element', ['role']) }} as role,
  {{ j('element', ['type']) }} as participant_type,
  {{ j('element', ['type']) }} = 'internal' as is_internal,
  cast({{ j('element', ['time_spent']) }} as {{ dbt.type_bigint() }}) as time_spent_seconds,
  {{ j('element', ['team', 'crm_id']) }} as team_crm_id,
  {{ j('element', ['team', 'name']) }} as team_name,
  {{ j('element', ['matched_as']) }} as matched_as,
  {{ j('element', ['status']) }} as response_status,
  element as participant
from elements
