"""Differential tests: the same request answered two ways must give the same answer."""
