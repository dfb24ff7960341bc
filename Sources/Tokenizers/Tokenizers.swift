// Module Tokenizers: under construction in its own worktree.
