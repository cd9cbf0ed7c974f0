"""Supervision (督导): the implementation plan's targets, measured per division in SQL aggregates,
the records they are measured on (mutations and CSV import), and who may read or write them."""
