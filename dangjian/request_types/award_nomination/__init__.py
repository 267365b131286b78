"""表彰推荐 award nomination (§三(一)2)."""
