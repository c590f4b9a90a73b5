"""Quality inspection (质检): automatic checks on every ended chat, supervisors' scores."""
