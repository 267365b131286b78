"""校历与办理时限 (issue 8 §8): 组织部s pages for the school calendar and the steps time limits,
and the operations behind them. The arithmetic is dangjian.workdays; deadlines are workflow.deadlines."""
