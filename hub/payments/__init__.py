"""Subsidy payments (社会化发放): amounts, monthly cycles, bank results, entitlement stops."""
