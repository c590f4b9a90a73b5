"""What every layer needs, importing nothing above it: configuration, database, models, masking, logging, security, the contact vault, language, live events and Redis helpers."""
