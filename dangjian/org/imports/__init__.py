"""Excel import (issue 6 §4): organizations and member rosters for 组织部, accounts with roles for
the 系统管理员. cells.py reads cells, headers.py finds the header row, organizations.py, members.py
and accounts.py plan and apply their rows, operations.py runs an import (preview, then all or
nothing), storage.py keeps uploads between preview and confirmation, workbook_templates.py writes
the templates, views.py and cli.py are the two ways in."""
