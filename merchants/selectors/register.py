"""Reads of the register, scoped to the viewer."""
