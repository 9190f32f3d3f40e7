"""Settings: every setting declared once (schema), read and parsed (values), the typed objects
each part of the tap takes whole (objects), and the API's documented limits that bound them.
"""
