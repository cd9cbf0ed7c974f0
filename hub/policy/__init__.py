"""Field policy (policy.yaml, loader, evaluator, masks) and the jurisdiction row filter."""
