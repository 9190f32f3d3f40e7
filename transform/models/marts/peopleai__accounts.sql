{#- One row per CRM account (matched, or of a matched opportunity): first/last touch, 30/90-day counts. -#}
{{ peopleai.crm_object_touches('account_crm_id', ['account_name']) }}
