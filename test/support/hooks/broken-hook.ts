/** A pre-send hook module that cannot be loaded (the broken-module test): it throws as it is imported. */
throw new Error('broken on purpose');
