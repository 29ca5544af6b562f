// mail.provider from a built-in table of large mailbox providers' domains. PLACEHOLDER: the
// classification helper fills the table; the exported signature stays.

/** Provider name (gmail, microsoft, yahoo, apple, ...) for a recipient domain, or undefined. */
export function providerOf(domain: string): string | undefined {
  void domain;
  return undefined;
}
