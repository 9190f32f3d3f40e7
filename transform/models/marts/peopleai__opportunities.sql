{#- One row per CRM opportunity an activity is matched to: first/last touch, 30/90-day counts. -#}
{{ peopleai.crm_object_touches(
    'opportunity_crm_id',
    ['opportunity_name', 'opportunity_stage_name', 'opportunity_stage_rank', 'account_crm_id', 'account_name']) }}
