"""Services for credit facts, lists, credit repair and ratings."""
