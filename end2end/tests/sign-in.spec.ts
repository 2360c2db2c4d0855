import { test, expect, waitForHydration } from "./support/fixtures";
import { ADMIN } from "./support/accounts";

test("a signed-out visit goes to sign-in, a wrong password is explained, and sign-out ends it", async ({ page }) => {
  await page.goto("/webhooks");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fwebhooks$/);
  await waitForHydration(page);

  await page.getByLabel("E-mail address").fill(ADMIN.email);
  await page.getByLabel("Password").fill("not the right one");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("#password-message")).toHaveText(
    "The e-mail address or password is not correct.",
  );
  await expect(page.getByLabel("E-mail address")).toHaveValue(ADMIN.email);

  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/webhooks$/);
  await expect(page.getByRole("banner").getByText(ADMIN.name)).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto("/webhooks");
  await expect(page).toHaveURL(/\/sign-in\?next=/);
});

test("signing in returns to the page that was asked for", async ({ page }) => {
  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fadmin%2Fusers$/);
  await waitForHydration(page);
  await page.getByLabel("E-mail address").fill(ADMIN.email);
  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
});
