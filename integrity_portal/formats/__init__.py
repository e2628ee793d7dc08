"""Per-language date formats (settings.FORMAT_MODULE_PATH). Chinese keeps Django's zh_Hans formats
(``Y年n月j日``); English reads "2 December 2026" instead of Django's "Dec. 2, 2026"."""
