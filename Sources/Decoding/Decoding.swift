// Module Decoding: under construction in its own worktree.
