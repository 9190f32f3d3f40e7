{#-
  One row per `uid` at its latest version, deleted activities included and flagged: the one
  place where deleted activities stay visible. Every other model reads stg_peopleai__activities,
  which keeps only the live ones. A view, so that a reconciliation completed since the last
  build counts at once.
-#}
{{ config(materialized='view') }}

{%- set reconciliations = peopleai.sibling_relation('reconciliations') -%}
{%- set recon_columns = peopleai.relation_columns(reconciliations) -%}

with latest_reconciliation as (
  {%- if reconciliations is not none and 'started_at' in recon_columns and 'completed_at' in recon_columns %}
  select
    {{ peopleai.source_column(recon_columns, 'reconciliation_id', 'text') }} as reconciliation_id,
    {{ peopleai.source_column(recon_columns, 'started_at', 'timestamp') }} as started_at,
    {{ peopleai.source_column(recon_columns, 'completed_at', 'timestamp') }} as completed_at
  from {{ reconciliations }}
  where {{ adapter.quote('completed_at') }} is not null
  order by {{ adapter.quote('completed_at') }} desc
  limit 1
  {%- else %}
  select
    cast(null as {{ dbt.type_string() }}) as reconciliation_id,
    cast(null as {{ peopleai.timestamptz_type() }}) as started_at,
    cast(null as {{ peopleai.timestamptz_type() }}) as completed_at
  {%- endif %}
),

flagged as (
  select
    activities.*,
    case
      when activities.sdc_deleted_at is not null then 'deleted_by_loader'
      when activities.last_extracted_at < reconciliation.started_at then 'absent_from_reconciliation'
    end as deleted_reason,
    case
      when activities.sdc_deleted_at is not null then activities.sdc_deleted_at
      when activities.last_extracted_at < reconciliation.started_at then reconciliation.completed_at
    end as deleted_at,
    case
      when activities.last_extracted_at < reconciliation.started_at
        then reconciliation.reconciliation_id
    end as deleted_by_reconciliation_id
  from {{ ref('base_peopleai__activities') }} as activities
  left join latest_reconciliation as reconciliation on true
)

select
  flagged.*,
  deleted_reason is not null as is_deleted
from flagged
