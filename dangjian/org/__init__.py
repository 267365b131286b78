"""The organization and its members (组织部 pages): the tree of units with dates, members with
their history (transfers, status, dues), and Excel import and export."""
