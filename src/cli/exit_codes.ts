// Exit codes, documented in `mailsight --help`. Scripts rely on them.
export const EXIT = {
  OK: 0,
  /** Runtime failure: a component failed to start, a fatal error, unreadable input. */
  FAILURE: 1,
  /** Wrong command line. */
  USAGE: 2,
  /** The configuration is invalid (problems printed as file:line:col: key.path: reason). */
  CONFIG: 3,
  /** `mailsight test`: at least one test case failed. */
  TESTS_FAILED: 4,
} as const;
