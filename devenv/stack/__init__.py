"""Pure planning: desired state vs what runs → ordered actions."""
