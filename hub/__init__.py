"""mzhub: the civil-affairs data hub (GraphQL over shared grassroots records)."""

__version__ = "0.1.0"
