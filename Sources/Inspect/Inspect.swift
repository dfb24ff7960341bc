// Module Inspect: under construction in its own worktree.
