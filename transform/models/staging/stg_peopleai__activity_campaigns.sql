{#- One row per campaign of a live activity: (activity_uid, campaign_index). -#}
{%- set j = peopleai.json_text -%}

with elements as (
  {{ peopleai.json_array_elements(
      ref('stg_peopleai__activities'),
      ['uid', 'activity_type', 'activity_at', 'activity_date'],
      'campaigns') }}
)

select
  uid || '-' || cast(element_index as {{ dbt.type_string() }}) as activity_campaign_id,
  uid as activity_uid,
  cast(element_index as {{ dbt.type_bigint() }}) as campaign_index,
  activity_type,
  activity_at,
  activity_date,
  {{ j('element', ['crm_id']) }} as campaign_crm_id,
  {{ j('element', ['name']) }} as campaign_name,
  cast({{ j('element', ['start_date']) }} as date) as campaign_start_date,
  cast({{ j('element', ['end_date']) }} as date) as campaign_end_date,
  element as campaign
from elements
