{#- One row per live activity (`uid`) at its latest version, crm_status and stats flattened. -#}
{%- set j = peopleai.json_text -%}

with live as (
  select *
  from {{ ref('stg_peopleai__activities_all') }}
  where not is_deleted
)

{#- Every column of the latest version (unknown ones included), without the deletion flags. -#}
{%- set all_columns = peopleai.relation_columns(ref('stg_peopleai__activities_all')) -%}
{%- set deletion_columns = [
    'is_deleted', 'deleted_reason', 'deleted_at', 'deleted_by_reconciliation_id', 'sdc_deleted_at',
] -%}

select
  {%- for name in all_columns if name not in deletion_columns %}
  {{ adapter.quote(name) }},
  {%- endfor %}

  -- crm_status, flattened; the account is the matched one, or the matched opportunity's
  cast({{ j('crm_status', ['pushed']) }} as {{ dbt.type_boolean() }}) as crm_pushed,
  {{ peopleai.to_utc(j('crm_status', ['push_time']), 'text') }} as crm_pushed_at,
  {{ j('crm_status', ['crm_id']) }} as crm_pushed_object_id,
  {{ j('crm_status', ['matched_to']) }} as crm_matched_to,
  coalesce(
    {{ j('crm_status', ['account', 'crm_id']) }},
    {{ j('crm_status', ['opportunity', 'account', 'crm_id']) }}
  ) as account_crm_id,
  coalesce(
    {{ j('crm_status', ['account', 'name']) }},
    {{ j('crm_status', ['opportunity', 'account', 'name']) }}
  ) as account_name,
  {{ j('crm_status', ['opportunity', 'crm_id']) }} as opportunity_crm_id,
  {{ j('crm_status', ['opportunity', 'name']) }} as opportunity_name,
  {{ j('crm_status', ['opportunity', 'stage_name']) }} as opportunity_stage_name,
  cast({{ j('crm_status', ['opportunity', 'stage_rank']) }} as {{ dbt.type_bigint() }}) as opportunity_stage_rank,
  {{ j('crm_status', ['lead', 'crm_id']) }} as lead_crm_id,
  {{ j('crm_status', ['lead', 'name']) }} as lead_name,
  {{ j('crm_status', ['lead', 'lead_stage']) }} as lead_stage,
  {{ j('crm_status', ['contact', 'crm_id']) }} as contact_crm_id,
  {{ j('crm_status', ['contact', 'name']) }} as contact_name,

  -- stats, flattened (the per-type counts are null where they do not apply)
  cast({{ j('stats', ['total_participants']) }} as {{ dbt.type_bigint() }}) as total_participants,
  cast({{ j('stats', ['internal_participants']) }} as {{ dbt.type_bigint() }}) as internal_participants,
  cast({{ j('stats', ['external_participants']) }} as {{ dbt.type_bigint() }}) as external_participants,
  cast({{ j('stats', ['contacts_participants']) }} as {{ dbt.type_bigint() }}) as contacts_participants,
  cast({{ j('stats', ['participants_on_to_line']) }} as {{ dbt.type_bigint() }}) as participants_on_to_line,
  cast({{ j('stats', ['participants_on_cc_line']) }} as {{ dbt.type_bigint() }}) as participants_on_cc_line,
  cast({{ j('stats', ['accepted_participants']) }} as {{ dbt.type_bigint() }}) as accepted_participants,
  cast({{ j('stats', ['declined_participants']) }} as {{ dbt.type_bigint() }}) as declined_participants,
  cast({{ j('stats', ['tentative_participants']) }} as {{ dbt.type_bigint() }}) as tentative_participants
from live
