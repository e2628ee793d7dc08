"""Admin for credit facts, lists, repairs, appeals and ratings."""
