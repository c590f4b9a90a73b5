"""Finding and reading conversations: supervisors' search and the timeline of one conversation."""
