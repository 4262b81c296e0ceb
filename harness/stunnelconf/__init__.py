"""stunnelconf."""
