"""Who may see what: staff scopes, staff accounts and API tokens, and what a customer's identity may be told."""
