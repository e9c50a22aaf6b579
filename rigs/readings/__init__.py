"""What a stored snapshot means: normalised figures, health and what the rig says it is. Plain functions."""
