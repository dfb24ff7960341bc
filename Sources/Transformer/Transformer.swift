// Module Transformer: under construction in its own worktree.
