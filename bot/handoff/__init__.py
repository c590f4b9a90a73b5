"""Human handoff: the queue (待接入池), agent presence, accepting, chatting, ending."""
