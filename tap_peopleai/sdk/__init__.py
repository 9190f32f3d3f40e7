"""Every place the tap bends singer-sdk: its internals (each with why, checked by a test) and the
buffered orjson Singer writer.
"""
