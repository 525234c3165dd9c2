"""What several services need the same way: settings from the environment
(common.settings), JSON-schema validators (common.schemas), web and database
plumbing (backend, desk; common.service_api for memory, analytics, outreach), the
channel metadata keys (channels, action server).
It imports none of them."""
