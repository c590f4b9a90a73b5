"""The knowledge base: entries in force, the store with versions, the matcher, import and export, unanswered questions."""
