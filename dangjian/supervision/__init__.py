"""Supervision (督促检查, §五3) for 纪委: the audit log viewer and export."""
