"""Pure domain rules (no I/O): id numbers, divisions, catalogue, workflow, calendar, amounts."""
