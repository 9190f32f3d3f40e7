"""A loader's settings checked before it starts: one line naming what is missing, or the loader."""
