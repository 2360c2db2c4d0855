import { expect, type Page } from "@playwright/test";
import { waitForHydration } from "./fixtures";

/** The TenantAdmin that start-herald.sh creates with `herald admin create`. */
export const ADMIN = { email: "admin@herald.test", password: "e2e admin passphrase", name: "Ada Admin" };

/** Signs in through the sign-in page and waits for the console to hydrate. */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/sign-in");
  await waitForHydration(page);
  await page.getByLabel("E-mail address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/webhooks$/);
  await waitForHydration(page);
}

/** A unique e-mail address for one test's user. */
export function uniqueEmail(prefix: string): string {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@herald.test`;
}
