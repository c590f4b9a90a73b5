"""The HTTP edge's foundation: the app factory, middleware, the service container (which implements the channels' port), metrics and audited reads."""
