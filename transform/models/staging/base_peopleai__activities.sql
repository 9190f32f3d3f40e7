{#-
  One row per `uid`: the latest version loaded, deleted ones included (see
  stg_peopleai__activities_all for the deletion flags). Incremental: a run re-reads only the uids
  that have a row loaded, ingested or soft-deleted within `peopleai_lookback_days` of what the
  previous run saw, and re-ranks all loaded rows of those uids.
-#}
{{
  config(
    materialized='incremental',
    unique_key='uid',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
  )
}}

{%- set source_relation = source('peopleai', 'activities') -%}
{%- set columns = peopleai.relation_columns(source_relation) -%}
{%- set known = [
    'uid', 'source_id', 'type', 'timestamp', 'ingest_timestamp', 'created', 'subject', 'summary',
    'direction', 'status', 'tags', 'duration', 'start_time', 'end_time', 'all_day', 'location',
    'followed_meeting_source_id', 'in_reply_to_source_id', 'follow_up_email_source_id',
    'reply_received', 'attachment_file_names', 'outbound_phone_number', 'stats', 'campaigns',
    'participants', 'crm_status', 'experimental', 'additional_fields', 'sync_version',
] -%}
{#- Columns the staging does not know (a loader's new typed column) pass through unchanged. -#}
{%- set passthrough = [] -%}
{%- for name in columns if name not in known and not name.startswith('_sdc_') -%}
  {%- do passthrough.append(name) -%}
{%- endfor -%}
{%- set col = peopleai.source_column -%}
{%- set lookback = var('peopleai_lookback_days') | int -%}

with
{%- if is_incremental() %}
changed_uids as (
  select distinct uid
  from {{ source_relation }}
  where {{ col(columns, 'ingest_timestamp', 'timestamp') }} >= {{ dbt.dateadd('day', -lookback, '(select max(ingested_at) from ' ~ this ~ ')') }}
     or {{ col(columns, '_sdc_batched_at', 'timestamp') }} >= {{ dbt.dateadd('day', -lookback, '(select max(loaded_at) from ' ~ this ~ ')') }}
     or {{ col(columns, '_sdc_deleted_at', 'timestamp') }} is not null
     or uid in (select uid from {{ this }} where sdc_deleted_at is not null)
),
{%- endif %}


loaded_rows as (
  select
    {{ col(columns, 'uid', 'text') }} as uid,
    {{ col(columns, 'source_id', 'text') }} as source_id,
    {{ col(columns, 'type', 'text') }} as activity_type,
    {{ col(columns, 'timestamp', 'timestamp') }} as activity_at,
    {{ col(columns, 'ingest_timestamp', 'timestamp') }} as ingested_at,
    {{ col(columns, 'created', 'timestamp') }} as created_at,
    {{ col(columns, 'subject', 'text') }} as subject,
    {{ col(columns, 'summary', 'text') }} as summary,
    {{ col(columns, 'direction', 'text') }} as direction,
    {{ col(columns, 'status', 'text') }} as status,
    {{ col(columns, 'tags', 'json') }} as tags,
    {{ col(columns, 'duration', 'bigint') }} as duration_seconds,
    {{ col(columns, 'start_time', 'timestamp') }} as start_at,
    {{ col(columns, 'end_time', 'timestamp') }} as end_at,
    {{ col(columns, 'all_day', 'boolean') }} as is_all_day,
    {{ col(columns, 'location', 'text') }} as location,
    {{ col(columns, 'followed_meeting_source_id', 'text') }} as followed_meeting_source_id,
    {{ col(columns, 'in_reply_to_source_id', 'text') }} as in_reply_to_source_id,
    {{ col(columns, 'follow_up_email_source_id', 'text') }} as follow_up_email_source_id,
    {{ col(columns, 'reply_received', 'boolean') }} as reply_received,
    {{ col(columns, 'attachment_file_names', 'json') }} as attachment_file_names,
    {{ col(columns, 'outbound_phone_number', 'text') }} as outbound_phone_number,
    {{ col(columns, 'stats', 'json') }} as stats,
    {{ col(columns, 'campaigns', 'json') }} as campaigns,
    {{ col(columns, 'participants', 'json') }} as participants,
    {{ col(columns, 'crm_status', 'json') }} as crm_status,
    {{ col(columns, 'experimental', 'json') }} as experimental,
    {{ col(columns, 'additional_fields', 'json') }} as additional_fields,
    {{ col(columns, '_sdc_extracted_at', 'timestamp') }} as extracted_at,
    {{ col(columns, '_sdc_batched_at', 'timestamp') }} as loaded_at,
    {{ col(columns, '_sdc_deleted_at', 'timestamp') }} as sdc_deleted_at,
    {{ col(columns, 'sync_version', 'bigint') }} as sync_version
    {%- for name in passthrough %},
    {{ adapter.quote(name) }}
    {%- endfor %}
  from {{ source_relation }}
  {%- if is_incremental() %}
  where uid in (select uid from changed_uids)
  {%- endif %}
),

ranked as (
  select
    loaded_rows.*,
    row_number() over (
      partition by uid
      order by ingested_at desc nulls last, sync_version desc nulls last,
        extracted_at desc nulls last, loaded_at desc nulls last
    ) as version_rank,
    max(extracted_at) over (partition by uid) as last_extracted_at,
    max(sync_version) over (partition by uid) as last_sync_version,
    count(*) over (partition by uid) as loaded_row_count
  from loaded_rows
)

select
  uid,
  source_id,
  activity_type,
  activity_at,
  {{ peopleai.utc_date('activity_at') }} as activity_date,
  ingested_at,
  {{ peopleai.utc_date('ingested_at') }} as ingested_date,
  created_at,
  subject,
  summary,
  direction,
  status,
  tags,
  duration_seconds,
  start_at,
  end_at,
  is_all_day,
  location,
  followed_meeting_source_id,
  in_reply_to_source_id,
  follow_up_email_source_id,
  reply_received,
  attachment_file_names,
  outbound_phone_number,
  stats,
  campaigns,
  participants,
  crm_status,
  experimental,
  additional_fields,
  extracted_at,
  last_extracted_at,
  loaded_at,
  sdc_deleted_at,
  last_sync_version,
  loaded_row_count
  {%- for name in passthrough %},
  {{ adapter.quote(name) }}
  {%- endfor %}
from ranked
where version_rank = 1
