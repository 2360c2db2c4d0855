import { test, expect, waitForHydration } from "./support/fixtures";
import { ADMIN, signIn } from "./support/accounts";

test("an unknown address answers 404 with a page that leads back", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await waitForHydration(page);

  await expect(page).toHaveTitle("Page not found · Herald");
  await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();

  await page.getByRole("link", { name: "Go to Webhooks" }).click();
  await expect(page).toHaveURL(/\/webhooks$/);
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
});
