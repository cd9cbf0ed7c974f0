"""Authorization server (clients, keys, token endpoint) and token verification."""
