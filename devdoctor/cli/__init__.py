"""The command line: typer commands, the report model and its rendering."""
