"""Pages: public intake, tracking and statistics; the merchant portal; staff attachment downloads."""
