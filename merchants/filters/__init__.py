"""django-filter FilterSets shared by public pages and the API."""

from .register import MerchantApiFilter, MerchantDirectoryFilter  # noqa: F401
