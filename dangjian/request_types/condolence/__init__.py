"""慰问金 condolence and sympathy payment (§三(二)2, §三(三)1)."""
