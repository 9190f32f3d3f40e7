"""The repository's generators: the README's settings table, the sandbox README's switches and
the Meltano plugin definitions, from the code (`make readme`: `python -m scripts.sync_readme`)."""
