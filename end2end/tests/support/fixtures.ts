import { test as base, expect, type Page } from "@playwright/test";

/**
 * Every test fails when the page logs an error or warning, or throws: hydration mismatches and
 * failed requests show up there and nowhere else. The exceptions are Chromium's own
 * "Failed to load resource" lines for a page that was navigated to and answered 404 on purpose
 * (the not-found page) and for a console action the server refused with a 4xx status (a wrong
 * password, a broken rule): a 404 of any script or style, or any 5xx, still fails the test.
 */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      const expectedFailures = new Set<string>();
      page.on("response", (response) => {
        const request = response.request();
        const status = response.status();
        const notFoundDocument = status === 404 && request.isNavigationRequest();
        const refusedAction =
          status >= 400 && status < 500 && request.method() === "POST" &&
          new URL(response.url()).pathname.startsWith("/api/");
        if (notFoundDocument || refusedAction) {
          expectedFailures.add(response.url());
        }
      });
      page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
      page.on("console", (message) => {
        const isExpectedFailure =
          message.text().startsWith("Failed to load resource") &&
          expectedFailures.has(message.location().url);
        if ((message.type() === "error" || message.type() === "warning") && !isExpectedFailure) {
          errors.push(`console ${message.type()}: ${message.text()}`);
        }
      });
      await use(errors);
      expect(errors, "the page logged errors").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Waits until the WASM has hydrated the page, so its event handlers are attached. */
export async function waitForHydration(page: Page): Promise<void> {
  await expect(page.locator("body")).toHaveAttribute("data-hydrated", "true");
}
