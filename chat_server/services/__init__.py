"""Business rules: authentication, groups, messages; transports call these, storage does the SQL."""
