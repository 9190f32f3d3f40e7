{#-
  One row per CRM object a live activity is matched to: (activity_uid, object_type), object_type
  one of account, opportunity, lead, contact — each present under crm_status.<object_type>.
-#}
{%- set j = peopleai.json_text -%}
{%- set object_types = ['account', 'opportunity', 'lead', 'contact'] -%}

{% for object_type in object_types %}
select
  uid || '-{{ object_type }}' as activity_crm_match_id,
  uid as activity_uid,
  '{{ object_type }}' as object_type,
  {{ j('crm_status', [object_type, 'crm_id']) }} as crm_id,
  {{ j('crm_status', [object_type, 'name']) }} as name,
  crm_matched_to = '{{ object_type }}' as is_matched_to,
  {%- if object_type == 'opportunity' %}
  {{ j('crm_status', ['opportunity', 'account', 'crm_id']) }} as parent_account_crm_id,
  {{ j('crm_status', ['opportunity', 'stage_name']) }} as stage_name,
  cast({{ j('crm_status', ['opportunity', 'stage_rank']) }} as {{ dbt.type_bigint() }}) as stage_rank,
  {%- elif object_type == 'account' %}
  {{ j('crm_status', ['account', 'parent_account_crm_id']) }} as parent_account_crm_id,
  cast(null as {{ dbt.type_string() }}) as stage_name,
  cast(null as {{ dbt.type_bigint() }}) as stage_rank,
  {%- elif object_type == 'lead' %}
  cast(null as {{ dbt.type_string() }}) as parent_account_crm_id,
  {{ j('crm_status', ['lead', 'lead_stage']) }} as stage_name,
  cast(null as {{ dbt.type_bigint() }}) as stage_rank,
  {%- else %}
  cast(null as {{ dbt.type_string() }}) as parent_account_crm_id,
  cast(null as {{ dbt.type_string() }}) as stage_name,
  cast(null as {{ dbt.type_bigint() }}) as stage_rank,
  {%- endif %}
  activity_type,
  activity_at,
  activity_date,
  {{ peopleai.json_get('crm_status', [object_type]) }} as crm_object
from {{ ref('stg_peopleai__activities') }}
where {{ peopleai.json_is_object('crm_status', [object_type]) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
