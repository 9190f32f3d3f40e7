"""The data set: a seeded, deterministic universe of activities (pools of names, CRM accounts,
record skeletons and bodies, type drift, extra fields) built from the settings. No HTTP."""
