"""Reads of credit facts, lists and ratings, scoped to the viewer."""
