"""Hardening: limits, query cost, rate limits, production mode, transport rules and trusted
documents; what keeps a hostile or careless client from bypassing, exhausting or mapping the hub."""
