"""What several services need the same way: web and database plumbing (backend,
desk), the channel metadata keys (channels, action server). It imports none of them."""
