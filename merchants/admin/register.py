"""Admin for the register: regions, merchants (import/export, claim codes), memberships, staff."""
