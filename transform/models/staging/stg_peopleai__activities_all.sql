{#-
  One row per `uid` at its latest version, deleted activities included and flagged: the one
  place where deleted activities stay visible. Every other model reads stg_peopleai__activities,
  which keeps only the live ones. A view, so that a reconciliation completed since the last
  build counts at once.

  Deleted: the loader soft-deleted the row (`_sdc_deleted_at`: target-postgres after a
  reconciliation's ACTIVATE_VERSION), or a reconciliation completed (a row of the tap's
  `reconciliations` table) with a `version` above every `sync_version` the activity was loaded
  with: the reconciliation re-exported the history and did not return it (the rule for loaders
  that ignore ACTIVATE_VERSION, such as target-duckdb).
-#}
{{ config(materialized='view') }}

{%- set reconciliations = peopleai.sibling_relation('reconciliations') -%}
{%- set recon_columns = peopleai.relation_columns(reconciliations) -%}
{%- set has_reconciliations = reconciliations is not none and 'version' in recon_columns -%}

with latest_reconciliation as (
  {%- if has_reconciliations %}
  select
    {{ peopleai.source_column(recon_columns, 'reconciliation_id', 'text') }} as reconciliation_id,
    {{ peopleai.source_column(recon_columns, 'version', 'bigint') }} as version,
    {{ peopleai.source_column(recon_columns, 'completed_at', 'timestamp') }} as completed_at
  from {{ reconciliations }}
  order by {{ adapter.quote('version') }} desc
  limit 1
  {%- else %}
  select
    cast(null as {{ dbt.type_string() }}) as reconciliation_id,
    cast(null as {{ dbt.type_bigint() }}) as version,
    cast(null as {{ peopleai.timestamptz_type() }}) as completed_at
  {%- endif %}
),

flagged as (
  select
    activities.*,
    case
      when activities.sdc_deleted_at is not null then 'deleted_by_loader'
      when activities.last_sync_version < reconciliation.version then 'absent_from_reconciliation'
    end as deleted_reason,
    case
      when activities.sdc_deleted_at is not null then activities.sdc_deleted_at
      when activities.last_sync_version < reconciliation.version then reconciliation.completed_at
    end as deleted_at,
    case
      when activities.last_sync_version < reconciliation.version
        then reconciliation.reconciliation_id
    end as deleted_by_reconciliation_id
  from {{ ref('base_peopleai__activities') }} as activities
  left join latest_reconciliation as reconciliation on true
)

select
  flagged.*,
  deleted_reason is not null as is_deleted
from flagged
