"""The agent console: sign-in, the queue, live chats."""
