"""兼职支部书记补贴 part-time branch secretary allowance (§三(一)3)."""
