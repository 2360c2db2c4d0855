import { test, expect, waitForHydration } from "./support/fixtures";
import { ADMIN, signIn } from "./support/accounts";

test("the console opens on the webhooks page and hydrates", async ({ page }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  await expect(page).toHaveURL(/\/webhooks$/);
  await waitForHydration(page);

  await expect(page).toHaveTitle("Webhooks · Herald");
  await expect(page.getByRole("banner").getByText("Herald", { exact: true })).toBeVisible();
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Webhooks" })).toHaveAttribute("aria-current", "page");
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
  // The list or, on a tenant without webhooks, its empty state (other specs may run first).
  await expect(
    page.getByRole("table", { name: "Webhooks" }).or(page.getByRole("heading", { name: "No webhooks yet" })),
  ).toBeVisible();
});

test("the stylesheet is served and applied", async ({ page }) => {
  await page.goto("/sign-in");
  await waitForHydration(page);
  const header = page.getByRole("banner");
  const background = await header.evaluate((element) => getComputedStyle(element).backgroundColor);
  expect(background).not.toBe("rgba(0, 0, 0, 0)");
});
