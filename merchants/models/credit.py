"""Credit facts and ratings: commitments, inspections, penalties, list entries, credit repair, rating policy and ratings."""

__all__: list[str] = []
