"""Resolvers per area and their dataloaders: thin, they call domain, policy and db."""
