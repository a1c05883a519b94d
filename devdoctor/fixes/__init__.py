"""The write layer: edit kinds, the journal, persistence of environment variables, apply and
verify. Imports core, never cli."""
