{#- One row per activity type People.ai exports: the type axis of the daily rollups. -#}
{{ config(materialized='view') }}

select 'email' as activity_type
union all
select 'meeting'
union all
select 'call'
