import { test as base, expect, type Page } from "@playwright/test";

/**
 * Every test fails when any of its pages logs an error or warning, or throws: hydration
 * mismatches and failed requests show up there and nowhere else. The exceptions are Chromium's
 * own "Failed to load resource" lines for a page that was navigated to and answered 404 or 403
 * on purpose (the not-found page, an admin page for someone else) and for a console action the server refused with a 4xx status
 * (a wrong password, a broken rule) — matched by address and status, so a 5xx from the same
 * address still fails the test, as does a 404 of any script or style.
 */
function watch(page: Page, errors: string[]): void {
  const expectedFailures = new Map<string, Set<number>>();
  page.on("response", (response) => {
    const request = response.request();
    const status = response.status();
    const refusedDocument = (status === 404 || status === 403) && request.isNavigationRequest();
    const refusedAction =
      status >= 400 && status < 500 && request.method() === "POST" &&
      new URL(response.url()).pathname.startsWith("/api/");
    if (refusedDocument || refusedAction) {
      const statuses = expectedFailures.get(response.url()) ?? new Set<number>();
      statuses.add(status);
      expectedFailures.set(response.url(), statuses);
    }
  });
  page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    const text = message.text();
    const statuses = expectedFailures.get(message.location().url);
    const isExpectedFailure =
      text.startsWith("Failed to load resource") &&
      statuses !== undefined &&
      [...statuses].some((status) => text.includes(`status of ${status} `));
    if ((message.type() === "error" || message.type() === "warning") && !isExpectedFailure) {
      errors.push(`console ${message.type()}: ${text}`);
    }
  });
}

export const test = base.extend<{ pageErrors: string[]; newPage: () => Promise<Page> }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      watch(page, errors);
      await use(errors);
      expect(errors, "the page logged errors").toEqual([]);
    },
    { auto: true },
  ],
  /** A page in a browser context of its own (another person), watched like `page`. */
  newPage: async ({ browser, pageErrors }, use) => {
    const contexts: Awaited<ReturnType<typeof browser.newContext>>[] = [];
    await use(async () => {
      const context = await browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      watch(page, pageErrors);
      return page;
    });
    for (const context of contexts) await context.close();
  },
});

export { expect };

/** Waits until the WASM has hydrated the page, so its event handlers are attached. */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}
