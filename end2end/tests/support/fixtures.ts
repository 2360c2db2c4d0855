import { test as base, expect, type Page } from "@playwright/test";

/**
 * Every test fails when the page logs an error or warning, or throws: hydration mismatches and
 * failed requests show up there and nowhere else. The one exception is Chromium's own
 * "Failed to load resource" line for a page that was navigated to and answered 404 on purpose
 * (the not-found page): a 404 of any script, style or fetch still fails the test.
 */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      const notFoundDocuments = new Set<string>();
      page.on("response", (response) => {
        if (response.status() === 404 && response.request().isNavigationRequest()) {
          notFoundDocuments.add(response.url());
        }
      });
      page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
      page.on("console", (message) => {
        const isNotFoundDocument =
          message.text().startsWith("Failed to load resource") &&
          notFoundDocuments.has(message.location().url);
        if ((message.type() === "error" || message.type() === "warning") && !isNotFoundDocument) {
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
