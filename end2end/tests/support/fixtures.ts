import { test as base, expect, type Page } from "@playwright/test";

/**
 * Every test fails when the page logs an error or throws: hydration mismatches and
 * failed requests show up there and nowhere else.
 */
export const test = base.extend<{ pageErrors: string[] }>({
  pageErrors: [
    async ({ page }, use) => {
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(`page error: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") {
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
