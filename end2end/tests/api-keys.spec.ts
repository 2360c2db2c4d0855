import { test, expect, waitForHydration } from "./support/fixtures";
import { ADMIN, signIn } from "./support/accounts";

test("an API key is shown once, then only by its name and prefix", async ({ page, request }) => {
  await signIn(page, ADMIN.email, ADMIN.password);
  await page.goto("/admin/api-keys");
  await waitForHydration(page);

  const form = page.getByRole("region", { name: "Create an API key" });
  await form.getByLabel("Name").fill("CI publisher");
  await form.getByLabel("events:publish — publish events").check();
  await form.getByRole("button", { name: "Create key" }).click();
  const shown = form.getByRole("textbox", { name: "New API key" });
  await expect(shown).toHaveValue(/^herald_[0-9a-f]{12}_/);
  const key = await shown.inputValue();
  const prefix = key.split("_").slice(0, 2).join("_");

  // The key works on the REST API.
  const me = await request.get("/api/v1/users/me", { headers: { Authorization: `Bearer ${key}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).email).toBe(ADMIN.email);

  await page.reload();
  await waitForHydration(page);
  const row = page.locator('tr[data-key="CI publisher"]');
  await expect(row).toContainText(`${prefix}_…`);
  await expect(row).toContainText("webhooks, events:publish");
  expect(await page.content()).not.toContain(key);

  await row.getByRole("button", { name: "Revoke" }).click();
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toContainText("Revoked");
  const after = await request.get("/api/v1/users/me", { headers: { Authorization: `Bearer ${key}` } });
  expect(after.status()).toBe(401);
});
